import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import type { ProcessSpec, Topology } from '../launcher/topology';

/**
 * Checks of the compose files, pure functions over the parsed YAML: the compose-spec JSON schema
 * (the one `docker compose` validates with, vendored from compose-go, see SCHEMA.md), published
 * ports on loopback only, and the same processes with the same environment variable names as
 * the stack's launcher topology.
 */
export type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  restart?: string;
  ports?: (string | number | { host_ip?: string; published?: string | number; target: number })[];
};
export type ComposeFile = { services: Record<string, ComposeService> };

/** YAML 1.1 merge keys (`<<: *app`) as compose reads them. */
export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

export const readCompose = (path: string) => parseCompose(readFileSync(path, 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(
  JSON.parse(readFileSync(new URL('./compose-spec.json', import.meta.url), 'utf8')),
);

/** The compose-spec schema's complaints, as `path: message` lines; empty when valid. */
export function schemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}

/** Published ports that would listen beyond the machine (no host address, or not 127.0.0.1). */
export function portsNotOnLoopback(doc: ComposeFile): string[] {
  const bad: string[] = [];
  for (const [name, service] of Object.entries(doc.services ?? {})) {
    for (const port of service.ports ?? []) {
      const hostIp =
        typeof port === 'object'
          ? port.host_ip
          : String(port).split(':').length === 3
            ? String(port).split(':')[0]
            : '';
      if (hostIp !== '127.0.0.1') bad.push(`${name}: ${JSON.stringify(port)}`);
    }
  }
  return bad;
}

/**
 * Services that would stay down after exiting on their own: the launcher restarts every process
 * (unless-stopped), so the compose file must too, except one-shot jobs.
 */
export function servicesWithoutRestart(doc: ComposeFile, oneShot: Record<string, string> = {}): string[] {
  return Object.entries(doc.services ?? {})
    .filter(([name, service]) => !oneShot[name] && service.restart !== 'unless-stopped')
    .map(([name, service]) => `${name}: restart ${service.restart ?? '(none)'}`);
}

export function envNames(service: ComposeService): string[] {
  const env = service.environment ?? {};
  const names = Array.isArray(env) ? env.map((kv) => kv.split('=')[0]!) : Object.keys(env);
  return names.sort();
}

const words = (command: string | string[] | undefined) =>
  command === undefined ? [] : Array.isArray(command) ? command : command.split(/\s+/);

/**
 * What a native process runs, comparable with a container's command: the TypeScript entry file
 * for `node --import tsx <file>`, else the program's name without the cache's version suffix
 * (…/bin/daprd-1.18.2-p1234 is `daprd`).
 */
export function programOf(p: Pick<ProcessSpec, 'command' | 'args'>, repoRoot: string): string {
  const args = p.args ?? [];
  const tsx = args.indexOf('tsx');
  if (args[tsx - 1] === '--import' && args[tsx + 1])
    return args[tsx + 1]!.replace(repoRoot, '').replace(/^\//, '');
  return (p.command.split('/').pop() ?? '').replace(/-\d+\.\d+\.\d+.*$/, '');
}

/** How one compose file relates to its topology; every exception carries its reason. */
export type ComposeMapping = {
  file: string;
  /** the launcher settings whose topology the compose file mirrors */
  settings: Record<string, string>;
  /** topology process -> compose service, when the names differ */
  serviceOf?: Record<string, string>;
  /** topology processes the container runs by another program (an official image) */
  otherProgram?: Record<string, string>;
  /** compose services with no native process */
  composeOnly?: Record<string, string>;
  /** compose services that run once and exit (no restart policy) */
  oneShot?: Record<string, string>;
  /** env names only the containers set (`NAME`, or `process.NAME` for one process) */
  containerOnlyEnv?: Record<string, string>;
  /** env names only the native processes set (`NAME` or `process.NAME`) */
  nativeOnlyEnv?: Record<string, string>;
  /** TypeScript processes whose env is not compared */
  envNotCompared?: Record<string, string>;
};

/** Differences between a compose file and the topology it mirrors; empty when they agree. */
export function topologyDifferences(
  doc: ComposeFile,
  topology: Topology,
  mapping: ComposeMapping,
  repoRoot: string,
  /** the root package.json's scripts: a container's `pnpm mock-llm` runs what that script runs */
  scripts: Record<string, string> = {},
): string[] {
  const problems: string[] = [];
  const services = doc.services ?? {};
  const mapped = new Set<string>();
  for (const p of topology.processes) {
    const name = mapping.serviceOf?.[p.name] ?? p.name;
    const service = services[name];
    if (!service) {
      problems.push(`${p.name}: no compose service "${name}"`);
      continue;
    }
    mapped.add(name);
    const program = programOf(p, repoRoot);
    const command = [...words(service.entrypoint), ...words(service.command)]
      .join(' ')
      .replace(/\bpnpm (?:run )?([\w:-]+)/g, (whole, script: string) => scripts[script] ?? whole);
    if (!mapping.otherProgram?.[p.name] && !command.includes(program))
      problems.push(`${p.name}: natively runs ${program}, the compose service "${name}" runs "${command}"`);
    // Engines (daprd, postgres, an official image) are configured by flags or their image's own
    // variables; the env names compared are the ones our TypeScript processes read.
    if (!program.endsWith('.ts') || mapping.envNotCompared?.[p.name]) continue;
    const native = new Set([...Object.keys(topology.sharedEnv ?? {}), ...Object.keys(p.env ?? {})]);
    const container = new Set(envNames(service));
    const excused = (list: Record<string, string> | undefined, key: string) =>
      !!(list?.[`${p.name}.${key}`] ?? list?.[key]);
    for (const key of native)
      if (!container.has(key) && !excused(mapping.nativeOnlyEnv, key))
        problems.push(`${p.name}: env ${key} is set natively but not in compose service "${name}"`);
    for (const key of container)
      if (!native.has(key) && !excused(mapping.containerOnlyEnv, key))
        problems.push(`${p.name}: env ${key} is set in compose service "${name}" but not natively`);
  }
  for (const name of Object.keys(services))
    if (!mapped.has(name) && !mapping.composeOnly?.[name])
      problems.push(`compose service "${name}" runs no process of the topology`);
  return problems;
}
