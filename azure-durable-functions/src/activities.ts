import { type Activities, activitiesFromEnv } from '@invoice/shared/flow/activities';
import type {
  AggregateInput,
  ExtractInput,
  RecordDecisionInput,
  SplitInput,
} from '@invoice/shared/flow/types';
import type { ActivityHandler } from 'durable-functions';

/**
 * Thin activity handlers over the shared activities. The LLM client makes one attempt per call
 * (retries: 'engine') because callActivityWithRetry in the orchestrator does the retrying; a
 * second retry loop inside the activity would multiply attempts and hide them from history.
 * Built on first use so that importing the app (to register functions) needs no environment.
 */
let shared: Activities | undefined;
const activities = () => {
  shared ??= activitiesFromEnv({ retries: 'engine' });
  return shared;
};

export const splitPdf: ActivityHandler = (input) => activities().split(input as SplitInput);
export const extractPage: ActivityHandler = (input) => activities().extract(input as ExtractInput);
export const aggregateInvoice: ActivityHandler = (input) => activities().aggregate(input as AggregateInput);
export const recordDecision: ActivityHandler = (input) =>
  activities().recordDecision(input as RecordDecisionInput);
