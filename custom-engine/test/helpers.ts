import { openStore } from '../src/engine/store';

/** The custom-engine stack via the launcher, with a store handle on its own database, once per file. */
export async function startEngineStack(settings: Record<string, string> = {}) {
  const stack = await startStackWith('custom-engine', settings, (handle) =>
    openStore({ databaseUrl: handle.env.DATABASE_URL, sqlitePath: handle.env.CE_SQLITE_PATH }),
  );
  // The store reads attempts and executions straight from the engine's tables.
  return { ...stack, store: stack.client };
}
export type EngineStack = Awaited<ReturnType<typeof startEngineStack>>;

export {
  expectGolden,
  expectOverBudgetNotRetried,
  expectPoisonPillFails,
  runToEnd,
  sample,
  submit,
  until,
  untilInFlight,
} from '@invoice/tools/testing/stack-client';

import { startStackWith } from '@invoice/tools/testing/stack-client';
