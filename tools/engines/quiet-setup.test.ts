import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/launcher/registry';

/**
 * The engine builds of a first run, quiet: ensure.sh against an empty cache with a stand-in `go`
 * first on the PATH that prints what a real first build prints (hundreds of `go: downloading`
 * lines) and writes placeholder binaries, so nothing is really built. One line per build on the
 * terminal, all the noise in the setup log; a failing build shows its own tail and caches nothing.
 */
const FAKE_GO = `#!/usr/bin/env bash
for i in $(seq 1 150); do echo "go: downloading example.com/m$i v1.0.$i" >&2; done
if [ "$1" = "\${FAKE_GO_FAIL:-}" ]; then echo "compile error: boom in $1" >&2; exit 1; fi
case "$1" in
  mod) printf '{\\n\\t"Dir": "%s",\\n}\\n' "$FAKE_MOD_DIR" ;;
  build)
    out=""; pkgs=()
    while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; ./cmd/*) pkgs+=("$1"); shift ;; *) shift ;; esac; done
    for p in "\${pkgs[@]}"; do printf '#!/bin/sh\\n' >"$out/$(basename "$p")"; chmod +x "$out/$(basename "$p")"; done ;;
  install) printf '#!/bin/sh\\n' >"$GOBIN/temporal"; chmod +x "$GOBIN/temporal" ;;
esac
`;

function firstRun(fail?: 'build' | 'install') {
  const dir = mkdtempSync(join(tmpdir(), 'quiet-setup-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'module'));
  writeFileSync(join(dir, 'bin', 'go'), FAKE_GO);
  chmodSync(join(dir, 'bin', 'go'), 0o755);
  // The Prefect venv is a pip install, not a Go build: a placeholder venv keeps this test offline.
  mkdirSync(join(dir, 'prefect-venv', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'prefect-venv', 'bin', 'prefect'), '#!/bin/sh\n');
  chmodSync(join(dir, 'prefect-venv', 'bin', 'prefect'), 0o755);
  const env: Record<string, string> = {
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    HOME: process.env.HOME ?? dir,
    INVOICE_CACHE_DIR: join(dir, 'cache'),
    SETUP_LOG: join(dir, 'setup.log'),
    FAKE_MOD_DIR: join(dir, 'module'),
    // the pristine daprd: the placeholder module has no source for the patch to apply to
    DAPRD_PATCHES: 'none',
    PREFECT_VENV: join(dir, 'prefect-venv'),
  };
  if (fail) env.FAKE_GO_FAIL = fail;
  const run = spawnSync('bash', [join(REPO_ROOT, 'tools/engines/ensure.sh')], { env, encoding: 'utf8' });
  const log = existsSync(env.SETUP_LOG!) ? readFileSync(env.SETUP_LOG!, 'utf8') : '';
  return { code: run.status, lines: run.stderr.trimEnd().split('\n'), log, bin: join(dir, 'cache', 'bin') };
}

describe('quiet first run of the engine builds', () => {
  it('prints one line per build with its time and the log it wrote, and nothing of the build output', () => {
    const run = firstRun();
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(5);
    expect(run.lines[0]).toMatch(
      /^==> building the Temporal CLI v1\.5\.1 .* done in \d+s \(log: .*setup\.log\)$/,
    );
    expect(run.lines[1]).toMatch(/^==> downloading the dapr v1\.18\.2 module .* done in \d+s/);
    expect(run.lines[2]).toMatch(/^==> building dapr placement scheduler v1\.18\.2 .* done in \d+s/);
    expect(run.lines[3]).toMatch(/^==> building daprd v1\.18\.2 .* done in \d+s/);
    expect(run.lines[4]).toMatch(/^==> engines ready: temporal dapr prefect /);
    // every go call's output (install, 2 x mod download, 2 x build) is in the log, none on the terminal
    expect(run.log.match(/go: downloading/g)).toHaveLength(5 * 150);
    for (const name of ['temporal-1.5.1', 'daprd-1.18.2', 'placement-1.18.2', 'scheduler-1.18.2'])
      expect(existsSync(join(run.bin, name)), name).toBe(true);
  });

  it('on a failing build prints FAILED with the end of that step, exits non-zero and caches nothing', () => {
    const run = firstRun('install');
    expect(run.code).not.toBe(0);
    expect(run.lines[0]).toMatch(
      /^==> building the Temporal CLI .* FAILED after \d+s \(exit 1\); the end of .*setup\.log:$/,
    );
    expect(run.lines.at(-1)).toBe('    compile error: boom in install');
    expect(run.lines.length).toBeLessThanOrEqual(1 + 25);
    expect(existsSync(join(run.bin, 'temporal-1.5.1'))).toBe(false);
  });
});
