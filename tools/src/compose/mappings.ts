import type { ComposeMapping } from './check';

/** Containers listen on their network, not on loopback (the code's default HOST is 127.0.0.1). */
const HOST = { HOST: 'containers listen on 0.0.0.0 inside their network; natively the default 127.0.0.1' };

/**
 * How each compose file mirrors its stack's launcher topology. Every difference the check
 * tolerates is listed here with its reason; anything else fails the compose test.
 */
export const COMPOSE_MAPPINGS: Record<string, ComposeMapping> = {
  'custom-engine': {
    file: 'custom-engine/docker-compose.yml',
    settings: { variant: 'postgres' },
    otherProgram: {
      postgres:
        'the official postgres:15 image; natively tools/src/engines/postgres.ts runs Debian PostgreSQL 15',
    },
    envNotCompared: { postgres: 'configured by the image own POSTGRES_* variables' },
    containerOnlyEnv: {
      ...HOST,
      'worker.CE_CONCURRENCY':
        "spelled out for compose users to tune; natively worker-main.ts's default (200)",
      'worker.CE_LEASE_MS':
        "spelled out for compose users to tune; natively worker-main.ts's default (30000)",
    },
  },
  temporal: {
    file: 'temporal/docker-compose.yml',
    settings: {},
    otherProgram: {
      temporal: 'temporalio/auto-setup: the server the CLI dev server embeds (1.29.1), on PostgreSQL',
    },
    composeOnly: {
      postgresql: "the server's database under compose; the dev server keeps SQLite in its own process",
      'temporal-ui': 'the dev server embeds the same UI (2.42.1)',
    },
    containerOnlyEnv: {
      ...HOST,
      TEMPORAL_NAMESPACE: "spelled out; natively env.ts's default (default)",
      'worker-split.SPLIT_MAX_CONCURRENT':
        "spelled out for compose users to tune; natively worker.ts's default (2)",
      'worker-split.WORKFLOW_MAX_CONCURRENT':
        "spelled out for compose users to tune; natively worker.ts's default (40)",
      'worker-extract.EXTRACT_MAX_CONCURRENT':
        "spelled out for compose users to tune; natively worker.ts's default (100)",
      'worker-aggregate.AGGREGATE_MAX_CONCURRENT':
        "spelled out for compose users to tune; natively worker.ts's default (10)",
    },
  },
  dapr: {
    file: 'dapr/docker-compose.yml',
    settings: { state: 'redis' },
    composeOnly: {
      'render-resources':
        'fills dapr/components/*.yaml into a volume once; natively the topology writes them',
    },
    oneShot: { 'render-resources': 'runs once before the sidecars start' },
    containerOnlyEnv: HOST,
  },
  'azure-durable-functions': {
    file: 'azure-durable-functions/docker-compose.yml',
    settings: {},
    serviceOf: { 'functions-host': 'functions' },
    otherProgram: {
      azurite: 'the official Azurite image; natively the azurite npm package of the same project',
      'functions-host':
        'the Azure Functions host image runs the bundled app; natively the replay test host stands in (SPEC.md)',
    },
    containerOnlyEnv: {
      ...HOST,
      'functions-host.FUNCTIONS_WORKER_RUNTIME': 'a setting of the Functions host',
      'functions-host.AzureWebJobsFeatureFlags': 'a setting of the Functions host',
      'functions-host.AzureWebJobsStorage':
        "the Functions host's task hub storage; the test host keeps history in DF_HISTORY_DIR",
    },
    nativeOnlyEnv: {
      'functions-host.DF_HISTORY_DIR':
        "the test host's history log; the Functions host keeps it in AzureWebJobsStorage",
      'functions-host.PORT': 'the Functions host image listens on 80',
      'mock-llm.LLM_URL': 'the launcher shares it with every process; the mock LLM itself does not read it',
    },
  },
};
