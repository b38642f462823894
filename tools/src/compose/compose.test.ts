import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../launcher/ports';
import { loadTopology, REPO_ROOT } from '../launcher/registry';
import type { Topology } from '../launcher/topology';
import {
  type ComposeFile,
  type ComposeMapping,
  parseCompose,
  portsNotOnLoopback,
  readCompose,
  schemaErrors,
  servicesWithoutRestart,
  topologyDifferences,
} from './check';
import { COMPOSE_MAPPINGS } from './mappings';

const scripts = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts as Record<
  string,
  string
>;

/** The topology the launcher would run with the compose file's settings (nothing is started). */
async function topologyFor(stack: string, mapping: ComposeMapping): Promise<Topology> {
  const factory = await loadTopology(stack);
  const ports: Record<string, number> = {};
  return factory({
    runDir: mkdtempSync(join(tmpdir(), `compose-${stack}-`)),
    repoRoot: REPO_ROOT,
    settings: mapping.settings,
    async port(name) {
      ports[name] ??= await freePort();
      return ports[name]!;
    },
  });
}

describe.each(Object.entries(COMPOSE_MAPPINGS))('%s/docker-compose.yml', (stack, mapping) => {
  const doc = readCompose(join(REPO_ROOT, mapping.file));

  it('is valid against the compose-spec schema', () => {
    expect(schemaErrors(doc)).toEqual([]);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    expect(portsNotOnLoopback(doc)).toEqual([]);
  });

  it('restarts every long-running service that exits, as the launcher does (unless-stopped)', () => {
    expect(servicesWithoutRestart(doc, mapping.oneShot)).toEqual([]);
  });

  it("runs the topology's processes with the same environment variable names", async () => {
    const topology = await topologyFor(stack, mapping);
    expect(topologyDifferences(doc, topology, mapping, REPO_ROOT, scripts)).toEqual([]);
  });
});

describe('a deliberately broken compose file', () => {
  // temporal's file with three mistakes: a misspelt key, a port on every interface, a renamed variable.
  const text = readFileSync(join(REPO_ROOT, 'temporal/docker-compose.yml'), 'utf8')
    .replace('"127.0.0.1:3000:3000"', '"3000:3000"')
    .replace('  api:\n', '  api:\n    restrat: always\n')
    .replace('    LLM_URL: http://mock-llm:8090', '    LLM_ENDPOINT: http://mock-llm:8090');
  const broken = parseCompose(text);
  const temporalDifferences = async (doc: ComposeFile) => {
    const mapping = COMPOSE_MAPPINGS.temporal!;
    return topologyDifferences(doc, await topologyFor('temporal', mapping), mapping, REPO_ROOT, scripts);
  };

  it('fails the schema check on the misspelt key', () => {
    expect(schemaErrors(broken).join('\n')).toMatch(
      /\/services\/api: must NOT have additional properties .*restrat/,
    );
  });

  it('fails the port check on the port published on every interface', () => {
    expect(portsNotOnLoopback(broken)).toEqual(['api: "3000:3000"']);
  });

  it('fails the restart check on a service without the policy', () => {
    const noRestart = parseCompose(
      text.replace(
        '    image: temporalio/ui:2.42.1\n    restart: unless-stopped\n',
        '    image: temporalio/ui:2.42.1\n',
      ),
    );
    expect(servicesWithoutRestart(noRestart)).toEqual(['temporal-ui: restart (none)']);
  });

  it('fails the topology check on the renamed variable', async () => {
    const problems = await temporalDifferences(broken);
    expect(problems).toContain('api: env LLM_URL is set natively but not in compose service "api"');
    expect(problems).toContain('api: env LLM_ENDPOINT is set in compose service "api" but not natively');
  });

  it('fails the topology check on a service that runs another program', async () => {
    const other = parseCompose(text.replace('"temporal/src/api.ts"', '"temporal/src/worker.ts"'));
    const problems = await temporalDifferences(other);
    expect(problems.join('\n')).toMatch(/api: natively runs temporal\/src\/api.ts/);
  });
});
