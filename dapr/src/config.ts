/**
 * Environment of the Dapr stack's processes. The launcher (dapr/topology.ts) and the compose
 * file set these; the defaults are Dapr's own (`dapr run` ports) so a hand-started sidecar works.
 */
import type { ActivityName } from '@invoice/shared/flow/types';

export { ACTIVITY_NAMES, type ActivityName } from '@invoice/shared/flow/types';

/** Dapr app ids of the activity services: the workflow reaches each through its own sidecar. */
export function serviceAppIds(env = process.env): Record<ActivityName, string> {
  return {
    split: env.SPLIT_APP_ID ?? 'invoice-split',
    extract: env.EXTRACT_APP_ID ?? 'invoice-extract',
    aggregate: env.AGGREGATE_APP_ID ?? 'invoice-aggregate',
  };
}

/** The sidecar this process talks to (its own; for the API, the workflow app's). */
export function sidecar(env = process.env) {
  const host = env.DAPR_HOST ?? '127.0.0.1';
  return {
    host,
    grpcPort: env.DAPR_GRPC_PORT ?? '50001',
    httpUrl: `http://${host}:${env.DAPR_HTTP_PORT ?? '3500'}`,
  };
}

/** The name the workflow is registered and scheduled under. */
export const WORKFLOW_NAME = 'invoiceWorkflow';
