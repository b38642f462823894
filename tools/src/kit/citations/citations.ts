/**
 * The state of every GitHub issue and pull request the matrix (matrix-sections.md, matrix.ts)
 * and the stack SPECs cite, with the date it was checked and how. The matrix renders its
 * "Citations checked" section from this list (`citationsSection`); a test keeps the list in step
 * with the links in those files.
 *
 * How they were checked on 2026-12-01: the GitHub issue and pull-request index of the search
 * tools (state as indexed), and for dapr/dapr the release notes inside the dapr module we build
 * (`go env GOMODCACHE`/github.com/dapr/dapr@v1.18.2/docs/release_notes/).
 */

export type CitationState = 'open' | 'closed' | 'merged' | 'not re-checked';

export type Citation = {
  ref: string;
  url: string;
  title: string;
  state: CitationState;
  checked: string;
  /** what else the check found: the fix, the release that ships it */
  note?: string;
};

export const CHECKED = '2026-12-01';

const gh = (
  ref: string,
  kind: 'issues' | 'pull',
  title: string,
  state: CitationState,
  note?: string,
): Citation => {
  const [repo, n] = ref.split('#');
  return { ref, url: `https://github.com/${repo}/${kind}/${n}`, title, state, checked: CHECKED, note };
};

export const CITATIONS: Citation[] = [
  gh(
    'dapr/dapr#9644',
    'pull',
    'Fix workflow max body size',
    'merged',
    'merged 2026-03-16; first released in v1.17.2 (its release notes, "Workflow activities with large results fail with gRPC ResourceExhausted error"); in the v1.18.2 we build, the scheduler client sets MaxCallSendMsgSize (pkg/scheduler/client/client.go)',
  ),
  gh(
    'dapr/dapr#9846',
    'issues',
    'Detect workflow high payload size and stall workflow',
    'closed',
    'implemented by dapr/dapr#9847 (merged, backported to v1.17.7); in the v1.18.0 release notes ("Graceful Stall on Oversized Workflow Payloads"), documented for 1.18 by dapr/docs#5168',
  ),
  gh(
    'dapr/dapr#9847',
    'pull',
    'workflow: gracefully stall on oversized payload',
    'merged',
    'stalls a workflow whose dispatch would exceed 95 % of --max-body-size',
  ),
  gh(
    'dapr/dapr#10372',
    'pull',
    'perf(workflow): bounded actor residency, janitor hysteresis, scoped activity lock',
    'merged',
    'on master (7114d4c); in no 1.18 release up to v1.18.3 (not in the release notes of v1.18.2 or v1.18.3, read from the Go module proxy). Our daprd patch backports one part of it: the condition that keeps a live workflow resident on an empty-inbox ack',
  ),
  gh(
    'dapr/dapr#7321',
    'issues',
    'Workflows get stuck due to max operation items and max size limitations in certain state stores',
    'open',
  ),
  gh(
    'dapr/dapr#7924',
    'issues',
    'Execution of fanout of Activities are happening sequentially, not in parallel due to new scheduler reminders (1.14)',
    'closed',
    'fixed by dapr/dapr#7926 (merged)',
  ),
  gh('dapr/dapr#8706', 'issues', 'Workflows: First class support for input/output db referencing', 'open'),
  gh('dapr/js-sdk#840', 'issues', 'Support the retry policy for workflows', 'open'),
  gh('dapr/dotnet-sdk#1090', 'pull', '[Workflow] Proper workflow retry support in Dapr SDK', 'open'),
  gh('microsoft/durabletask-js#302', 'pull', 'WhenAll wait-all + aggregate-exception semantics', 'merged'),
  gh(
    'microsoft/azure-container-apps#762',
    'issues',
    'Feature Request: Enable Dapr Workflow in Azure Container Apps',
    'open',
  ),
  gh(
    'Azure/azure-functions-durable-js#477',
    'issues',
    "context.df.Task.all throws as soon as one task fails so one can't get the result of other tasks",
    'open',
  ),
  gh(
    'Azure/azure-functions-durable-js#485',
    'issues',
    'Activity functions are scheduled multiple times in fan-out mode',
    'closed',
    'a fix shipped in durable-functions 2.1.3 and 3.0.0-alpha.5; a later comment reports it again (#574)',
  ),
  gh(
    'Azure/azure-functions-durable-extension#780',
    'issues',
    'Fan-in of activities has duplicate TaskScheduledIds when responses are large',
    'closed',
    'fixed in extension v1.8.2 (2019)',
  ),
  gh(
    'Azure/azure-functions-core-tools#3708',
    'issues',
    'CDN Zip file missing (npm install of Core Tools 4.0.1)',
    'closed',
    'the npm package downloads the host zip from the CDN at install time',
  ),
  gh(
    'Azure/azure-functions-core-tools#5291',
    'pull',
    'cited for how the npm package installs the host',
    'not re-checked',
    'not in the index reachable from this machine on 2026-12-01',
  ),
];

/** "open, checked 2026-12-01" for a ref, for text that states a citation's state. */
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
    'Every GitHub issue and pull request this matrix and the stack SPECs cite, with its state on the date it was checked. Data: `tools/src/kit/citations/citations.ts`.',
    '',
    '| cited | title | state | checked | note |',
    '|---|---|---|---|---|',
    ...citations.map(
      (c) =>
        `| [${c.ref}](${c.url}) | ${cell(c.title)} | ${c.state} | ${c.checked} | ${cell(c.note ?? '')} |`,
    ),
  ].join('\n');
}
