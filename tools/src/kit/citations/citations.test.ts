import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../launcher/registry';
import { CHECKED, CITATIONS, type Citation, citationsSection, stateOf } from './citations';

const STACKS = ['dapr', 'temporal', 'custom-engine', 'azure-durable-functions', 'prefect'];
const CITING = [
  'tools/src/kit/matrix-sections.md',
  'tools/src/kit/matrix.ts',
  'tools/src/kit/decision/facts.ts',
  'README.md',
  'docs/DESIGN.md',
  ...STACKS.flatMap((s) => [`${s}/README.md`, `${s}/SPEC.md`]),
];
const LINK = /https:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/(issues|pull)\/(\d+)/g;
const read = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');

describe('citations', () => {
  it('lists every GitHub issue and pull request the matrix, the READMEs and the SPECs link to', () => {
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

  it('every citation says where its state was seen; none claims a state it could not check', () => {
    for (const c of CITATIONS) {
      expect(c.seen.length, c.ref).toBeGreaterThan(0);
      if (c.state === 'not re-checked') expect(c.note, c.ref).toMatch(/not reachable|not in the index/);
    }
    expect(stateOf('Azure/azure-functions-core-tools#5291')).toBe(`merged, checked ${CHECKED}`);
    const unchecked: Citation = {
      ref: 'x/y#1',
      url: 'https://github.com/x/y/pull/1',
      title: 't',
      state: 'not re-checked',
      checked: CHECKED,
      seen: 'nowhere',
      note: `not re-checked on ${CHECKED}: not reachable from here`,
    };
    expect(stateOf('x/y#1', [unchecked])).toBe(`state not re-checked on ${CHECKED}`);
  });

  it('renders a dated row per citation and states a ref on demand', () => {
    const md = citationsSection();
    expect(md.split('\n')[0]).toBe('## Citations checked');
    expect(md.split('\n').filter((l) => l.startsWith('| ['))).toHaveLength(CITATIONS.length);
    expect(md).toContain(
      `| [dapr/dapr#9846](https://github.com/dapr/dapr/issues/9846) | Detect workflow high payload size and stall workflow | closed | ${CHECKED} | issue index |`,
    );
    expect(stateOf('dapr/js-sdk#840')).toBe(`open, checked ${CHECKED}`);
    expect(() => stateOf('nobody/nothing#1')).toThrow(/not in the citations list/);
  });
});
