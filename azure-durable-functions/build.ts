import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the Functions app (src/ plus the shared/ sources it imports) into dist/functions.js,
 * the "main" that `func start` and the compose file load. Kept external: the Functions and
 * Durable packages (one instance each, and `@azure/functions-core` is injected by the worker),
 * and pdfjs-dist / @napi-rs/canvas (native code and data files found relative to the package).
 */
export async function buildApp(): Promise<string> {
  const outfile = fileURLToPath(new URL('dist/functions.js', import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL('src/functions.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: [
      '@azure/functions',
      '@azure/functions-core',
      'durable-functions',
      '@napi-rs/canvas',
      'pdfjs-dist',
    ],
    // Bundled CommonJS code calls require(); an ESM bundle has to provide it.
    banner: {
      js: "import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`built ${await buildApp()}`);
}
