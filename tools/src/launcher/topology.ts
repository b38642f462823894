/**
 * A stack is a list of processes. Each stack ships one topology module (`<stack>/topology.ts`,
 * or tools/src/topologies/ for the tools' own) whose default export builds that list from a
 * context: ports picked by the launcher, a run folder, and the settings the caller passed.
 */
export type Readiness =
  | { http: string; expectStatus?: number } // GET until the status matches (default: any 2xx)
  | { tcp: number }
  | { log: RegExp }; // a line in the process's own log file

export type ProcessSpec = {
  name: string;
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  ready?: Readiness;
  /** names of processes that must be ready first */
  dependsOn?: string[];
  /** fault injection may SIGKILL it (false for things like the mock LLM) */
  killable?: boolean;
  /** what kind of process this is, for the chaos report */
  kind?: 'api' | 'worker' | 'service' | 'sidecar' | 'engine' | 'storage' | 'tool';
  readyTimeoutMs?: number;
};

export type TopologyContext = {
  /** folder for this stack instance's data and logs (git-ignored) */
  runDir: string;
  /** a free TCP port on 127.0.0.1, stable per name within one `up` */
  port(name: string): Promise<number>;
  /** caller settings, e.g. { LLM_LATENCY_MS: '500' } or { variant: 'postgres' } */
  settings: Record<string, string>;
  repoRoot: string;
};

export type Topology = {
  stack: string;
  description: string;
  processes: ProcessSpec[];
  /** base URL of the stack's contract API, once up */
  apiUrl?: string;
  /** the mock LLM's URL, when the stack includes one */
  llmUrl?: string;
  /** extra URLs worth printing (UIs, dashboards) */
  links?: Record<string, string>;
  /** the one file holding the stack's orchestration (counted in the matrix) */
  orchestrationFile?: string;
  /**
   * The processes that run extract, as many as the `workers` setting asks for (issue 16); the
   * kit kills the first of two mid fan-out. Absent or [] when the stack cannot run a second one.
   */
  extractWorkers?: string[];
  /** how much durable state/history one finished invoice left in the engine */
  stateSize?: (invoiceId: string) => Promise<StateSize>;
  /** env every process of the stack shares (blob store, LLM URL); tests use it to open the same blob store */
  sharedEnv?: Record<string, string>;
};

export type TopologyFactory = (ctx: TopologyContext) => Promise<Topology>;

export type StateSize = { bytes: number; events?: number; what: string };
