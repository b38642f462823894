/**
 * One worker process per service: `tsx src/worker.ts split|extract|aggregate`.
 *
 * Each service polls its own task queue, so it can be scaled, limited and killed on its own.
 * The split process also hosts the workflow task queue: workflow code is cheap and
 * deterministic, and any process can resume it from history after a crash.
 *
 * Concurrency is explicit and set by env (defaults in parentheses):
 *   SPLIT_MAX_CONCURRENT (2)       split renders pages with the CPU; more than the cores only queues
 *   EXTRACT_MAX_CONCURRENT (100)   activity slots of the extract worker = the most LLM calls in flight
 *                                  from one extract process (the SDK's default, stated here)
 *   AGGREGATE_MAX_CONCURRENT (10)
 *   WORKFLOW_MAX_CONCURRENT (40)   workflow task slots of the split process (the SDK's default)
 */
import { fileURLToPath } from 'node:url';
import { activitiesFromEnv } from '@invoice/shared/flow/activities';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { temporalActivities } from './activities';
import { intFromEnv, temporalEnv } from './env';
import { type Service, TASK_QUEUES } from './task-queues';

export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

export async function createWorkers(service: Service, connection: NativeConnection): Promise<Worker[]> {
  // retries: 'engine' — the LLM client makes one attempt; Temporal's retry policy does the rest.
  const activities = temporalActivities(activitiesFromEnv({ retries: 'engine' }));
  const base: Pick<
    WorkerOptions,
    'connection' | 'namespace' | 'shutdownGraceTime' | 'maxHeartbeatThrottleInterval'
  > = {
    connection,
    namespace: temporalEnv.namespace,
    shutdownGraceTime: '10s',
    // The SDK holds heartbeats back for up to 0.8 × heartbeatTimeout (8 s of our 10 s), which
    // leaves a busy machine 2 s of slack; sending at most every 3 s leaves 7.
    maxHeartbeatThrottleInterval: '3s',
  };
  const perService: Record<Service, () => Promise<Worker>> = {
    split: () =>
      Worker.create({
        ...base,
        taskQueue: TASK_QUEUES.split,
        activities: { split: activities.split },
        maxConcurrentActivityTaskExecutions: intFromEnv('SPLIT_MAX_CONCURRENT', 2),
      }),
    extract: () =>
      Worker.create({
        ...base,
        taskQueue: TASK_QUEUES.extract,
        activities: { extract: activities.extract },
        maxConcurrentActivityTaskExecutions: intFromEnv('EXTRACT_MAX_CONCURRENT', 100),
      }),
    aggregate: () =>
      Worker.create({
        ...base,
        taskQueue: TASK_QUEUES.aggregate,
        // recordDecision (an approved or rejected invoice rewritten with its decision) rides along.
        activities: { aggregate: activities.aggregate, recordDecision: activities.recordDecision },
        maxConcurrentActivityTaskExecutions: intFromEnv('AGGREGATE_MAX_CONCURRENT', 10),
      }),
  };
  const workers = [await perService[service]()];
  if (service === 'split') {
    workers.push(
      await Worker.create({
        ...base,
        taskQueue: TASK_QUEUES.workflow,
        workflowsPath,
        maxConcurrentWorkflowTaskExecutions: intFromEnv('WORKFLOW_MAX_CONCURRENT', 40),
      }),
    );
  }
  return workers;
}

async function main() {
  const service = process.argv[2] as Service;
  if (!['split', 'extract', 'aggregate'].includes(service)) {
    throw new Error('usage: worker.ts split|extract|aggregate');
  }
  const connection = await NativeConnection.connect({ address: temporalEnv.address });
  const workers = await createWorkers(service, connection);
  // Worker.run() stops on SIGINT/SIGTERM, finishing in-flight tasks within shutdownGraceTime.
  const running = Promise.all(workers.map((w) => w.run()));
  // The launcher's readiness probe waits for this line.
  console.log(`[temporal-worker] ${service} worker polling on ${temporalEnv.address}`);
  await running;
  await connection.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
