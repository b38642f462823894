import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './launcher/registry';

// The repo stands alone: every relative link in its Markdown points at a file inside it.
const markdown = execFileSync('git', ['ls-files', '*.md'], { cwd: REPO_ROOT, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);

/** Markdown that is copied elsewhere, so its links are relative to where the copy lands. */
const BASE_OF: Record<string, string> = {
  // matrix.ts copies its sections into docs/comparison-matrix.md
  'tools/src/kit/matrix-sections.md': 'docs',
};

/** Relative link targets of one Markdown text: [text](target) and [text]: target, no URLs or anchors. */
function relativeLinks(text: string): string[] {
  const targets = [
    ...[...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!),
  ];
  return targets
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => t.split('#')[0]!);
}

describe('Markdown links', () => {
  it('finds relative links and ignores URLs and anchors', () => {
    expect(relativeLinks('[a](../x.md#y) [b](https://e.org) [c](#z)\n[d]: docs/d.md')).toEqual([
      '../x.md',
      'docs/d.md',
    ]);
  });

  it.each(markdown)('%s links only to files inside the repo', (file) => {
    const outside: string[] = [];
    for (const target of relativeLinks(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
      const path = resolve(REPO_ROOT, BASE_OF[file] ?? dirname(file), decodeURI(target));
      if (relative(REPO_ROOT, path).startsWith('..') || !existsSync(path)) outside.push(target);
    }
    expect(outside).toEqual([]);
  });
});
