import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../launcher/registry';
import { CHECKED, CITATIONS, citationsSection, stateOf } from './citations';

const CITING = [
  'tools/src/kit/matrix-sections.md',
  'tools/src/kit/matrix.ts',
  'dapr/SPEC.md',
  'temporal/SPEC.md',
  'custom-engine/SPEC.md',
  'azure-durable-functions/SPEC.md',
];
const LINK = /https:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/(issues|pull)\/(\d+)/g;
const read = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');

describe('citations', () => {
  it('lists every GitHub issue and pull request the matrix and the SPECs link to', () => {
    const listed = new Set(CITATIONS.map((c) => c.url));
    for (const file of CITING)
      for (const m of read(file).matchAll(LINK)) expect(listed, `${file}: ${m[0]}`).toContain(m[0]);
  });

  it('every cited link in the matrix text carries the date its state was checked', () => {
    for (const file of ['tools/src/kit/matrix-sections.md', 'tools/src/kit/matrix.ts']) {
      const text = read(file);
      for (const m of text.matchAll(LINK)) {
        const after = text.slice(m.index, m.index + m[0].length + 250);
        expect(after, `${file}: ${m[0]}`).toContain(CHECKED);
      }
    }
  });

  it('renders a dated row per citation and states a ref on demand', () => {
    const md = citationsSection();
    expect(md.split('\n')[0]).toBe('## Citations checked');
    expect(md.split('\n').filter((l) => l.startsWith('| ['))).toHaveLength(CITATIONS.length);
    expect(md).toContain(
      `| [dapr/dapr#9846](https://github.com/dapr/dapr/issues/9846) | Detect workflow high payload size and stall workflow | closed | ${CHECKED} |`,
    );
    expect(stateOf('dapr/js-sdk#840')).toBe(`open, checked ${CHECKED}`);
    expect(() => stateOf('nobody/nothing#1')).toThrow(/not in the citations list/);
  });
});
