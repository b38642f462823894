/**
 * The state of every GitHub issue and pull request the matrix (matrix-sections.md, matrix.ts, the
 * decision facts) and the stack READMEs/SPECs cite, with the date it was checked and where the
 * state was seen. The matrix renders its "Citations checked" section from this list
 * (`citationsSection`); a test keeps the list in step with the links in those files.
 *
 * How they were checked on 2026-12-02 (UTC): the GitHub issue and pull-request index of the
 * search tools (the state as indexed; the index does not say when it crawled a thread), and,
 * where a repository snapshot was reachable, its git history and tags (squash-merge commits name
 * the PR as "(#N)"; `git tag --contains` gives the first release). A snapshot wins over the
 * index where they disagree (dapr/dotnet-sdk#1090: open in the index, merged in git).
 */

export type CitationState = 'open' | 'closed' | 'merged' | 'not re-checked';

export type Citation = {
  ref: string;
  url: string;
  title: string;
  state: CitationState;
  checked: string;
  /** where the state was seen: the issue index, a repository snapshot, a release note */
  seen: string;
  /** what else the check found: the fix, the release that ships it */
  note?: string;
};

export const CHECKED = '2026-12-02';

const INDEX = 'issue index';

const gh = (
  ref: string,
  kind: 'issues' | 'pull',
  title: string,
  state: CitationState,
  seen: string,
  note?: string,
): Citation => {
  const [repo, n] = ref.split('#');
  return { ref, url: `https://github.com/${repo}/${kind}/${n}`, title, state, checked: CHECKED, seen, note };
};

export const CITATIONS: Citation[] = [
  gh(
    'dapr/dapr#9644',
    'pull',
    'Fix workflow max body size',
    'merged',
    'dapr/dapr git: f1aa7b6 (2026-03-16); tags',
    'first released in v1.17.2 (backport bb27bfb, #9649; its release notes: "Workflow activities with large results fail with gRPC ResourceExhausted error") and on the 1.18 line from v1.18.0 (c187416); in the v1.18.2 we build, the scheduler client sets MaxCallSendMsgSize (pkg/scheduler/client/client.go)',
  ),
  gh(
    'dapr/dapr#9846',
    'issues',
    'Detect workflow high payload size and stall workflow',
    'closed',
    INDEX,
    'implemented by dapr/dapr#9847; in the v1.18.0 release notes ("Graceful Stall on Oversized Workflow Payloads"), documented for 1.18 by dapr/docs#5168 (merged, index)',
  ),
  gh(
    'dapr/dapr#9847',
    'pull',
    'workflow: gracefully stall on oversized payload',
    'merged',
    `${INDEX}; dapr/dapr git: 2026-05-04; tags`,
    'first released in v1.17.7 (backport e088a50, #9867; its release notes: "Workflow GetWorkItems gRPC stream torn down when the history payload exceeds the max body size") and v1.18.0 (af8c485, #9868); stalls a workflow whose dispatch would exceed 95 % of --max-body-size',
  ),
  gh(
    'dapr/dapr#10372',
    'pull',
    'perf(workflow): bounded actor residency, janitor hysteresis, scoped activity lock',
    'merged',
    `${INDEX}; dapr/dapr git: 7114d4c on master (2026-08-20); tags; Go module proxy`,
    'in no release: no tag contains 7114d4c in the snapshot (newest commit 2026-08-22; newest 1.18 tag v1.18.3 of 2026-08-14), no backport commit on release-1.18, and the Go module proxy serves v1.18.3 but no v1.18.4 or v1.19.0. Our daprd patch backports one part of it: the condition that keeps a live workflow resident on an empty-inbox ack',
  ),
  gh(
    'dapr/dapr#7321',
    'issues',
    'Workflows get stuck due to max operation items and max size limitations in certain state stores',
    'open',
    INDEX,
    'labelled stale',
  ),
  gh(
    'dapr/dapr#7924',
    'issues',
    'Execution of fanout of Activities are happening sequentially, not in parallel due to new scheduler reminders (1.14)',
    'closed',
    INDEX,
    'fixed by dapr/dapr#7926 (merged: 6d7c2c8 "Parallel workflow fix", 2024-07-22, first in v1.14.0; dapr/dapr git)',
  ),
  gh(
    'dapr/dapr#8706',
    'issues',
    'Workflows: First class support for input/output db referencing',
    'open',
    INDEX,
  ),
  gh(
    'dapr/js-sdk#840',
    'issues',
    'Support the retry policy for workflows',
    'open',
    INDEX,
    '@dapr/dapr 3.18.0 is still the newest on npm, the version we install',
  ),
  gh(
    'dapr/dotnet-sdk#1090',
    'pull',
    '[Workflow] Proper workflow retry support in Dapr SDK',
    'merged',
    'dapr/dotnet-sdk git: e59c856 on master (2023-05-19); tags',
    'the index still shows it open (crawled while open); git has its squash commit "Proper workflow retry support in Dapr SDK (#1090)", first released in v1.11.0',
  ),
  gh(
    'microsoft/durabletask-js#302',
    'pull',
    'WhenAll wait-all + aggregate-exception semantics',
    'merged',
    `${INDEX}; durabletask-js git: 28253b9 on main (2026-07-14)`,
    'first released in @microsoft/durabletask-js 0.4.0 (2026-07-31; its CHANGELOG). The @dapr/dapr 3.18 JS SDK carries its own copy of the older fail-fast WhenAllTask',
  ),
  gh(
    'microsoft/azure-container-apps#762',
    'issues',
    'Feature Request: Enable Dapr Workflow in Azure Container Apps',
    'open',
    INDEX,
    'labelled enhancement, roadmap',
  ),
  gh(
    'Azure/azure-functions-durable-js#477',
    'issues',
    "context.df.Task.all throws as soon as one task fails so one can't get the result of other tasks",
    'open',
    INDEX,
    'labelled Enhancement, P2; durable-functions 3.5.0 is still the newest on npm, the version we install',
  ),
  gh(
    'Azure/azure-functions-durable-js#485',
    'issues',
    'Activity functions are scheduled multiple times in fan-out mode',
    'closed',
    INDEX,
    'a fix shipped in durable-functions 2.1.3 and 3.0.0-alpha.5 (maintainer comment, 2023-07-11); a later comment reports it again (#574, not checked)',
  ),
  gh(
    'Azure/azure-functions-durable-extension#780',
    'issues',
    'Fan-in of activities has duplicate TaskScheduledIds when responses are large',
    'closed',
    INDEX,
    'fixed in extension v1.8.2 (maintainer comment, 2019-05-30)',
  ),
  gh(
    'Azure/azure-functions-core-tools#3708',
    'issues',
    'CDN Zip file missing (npm install of Core Tools 4.0.1)',
    'closed',
    INDEX,
    'the npm package downloads the host zip from the CDN: in azure-functions-core-tools 4.15.1 (newest on npm) the postinstall script lib/install.js still GETs it from cdn.functions.azure.com',
  ),
  gh(
    'Azure/azure-functions-core-tools#5291',
    'pull',
    'fix: add lazy first-use install for npm RFC #868 compatibility',
    'merged',
    'core-tools git: 232fe30 on main (2026-06-02); tag 4.13.0 release_notes.md',
    'not in the issue index; git has its squash commit, first released in Core Tools 4.13.0 ("Added lazy first-use install for npm RFC #868 compatibility (#5291)"). When npm skips install scripts, lib/main.js downloads the host on the first `func` run instead (seen in the 4.15.1 npm tarball); the download is from the same CDN',
  ),
];

/** "open, checked 2026-12-02" for a ref, for text that states a citation's state. */
export function stateOf(ref: string, citations: Citation[] = CITATIONS): string {
  const c = citations.find((x) => x.ref === ref);
  if (!c) throw new Error(`${ref} is not in the citations list`);
  return c.state === 'not re-checked'
    ? `state not re-checked on ${c.checked}`
    : `${c.state}, checked ${c.checked}`;
}

/** The matrix section: every cited issue and PR, its state and the date it was checked. */
export function citationsSection(citations: Citation[] = CITATIONS): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '## Citations checked',
    '',
    'Every GitHub issue and pull request this matrix, its decision table and the stack READMEs and SPECs cite, with its state on the date it was checked and where that state was seen. Data: `tools/src/kit/citations/citations.ts`.',
    '',
    '| cited | title | state | checked | where seen | note |',
    '|---|---|---|---|---|---|',
    ...citations.map(
      (c) =>
        `| [${c.ref}](${c.url}) | ${cell(c.title)} | ${c.state} | ${c.checked} | ${cell(c.seen)} | ${cell(c.note ?? '')} |`,
    ),
  ].join('\n');
}
