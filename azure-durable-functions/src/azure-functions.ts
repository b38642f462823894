import { createRequire } from 'node:module';
import type * as AzureFunctions from '@azure/functions';

/**
 * `@azure/functions` ships one webpack bundle whose named exports Node's ESM loader cannot
 * detect, so `import { app } from '@azure/functions'` fails at runtime in an ESM app. Loading it
 * as CommonJS gives the same module instance durable-functions uses.
 */
export const azureFunctions = createRequire(import.meta.url)('@azure/functions') as typeof AzureFunctions;
export const { app, InvocationContext } = azureFunctions;
