/**
 * The hook for the matrix generator: everything issue 18 adds to docs/comparison-matrix.md,
 * from the same compare JSON as the rest. `opening` goes right after the header bullets (the
 * decision table opens the matrix); `closing` (claims vs measured, cost per 1,000 invoices,
 * citations checked) goes after the measured tables.
 */

import { CITATIONS, citationsSection } from '../citations/citations';
import {
  type ClaimsCompareJson,
  type ClaimsExtras,
  claimsTable,
  measuresFromCompare,
} from '../claims/claims';
import { costSection, type InvoiceCounts } from '../cost/units';
import { buildDecisionTable } from './decision';
import { type CompareStackJson, decisionInputFromCompare, type StackExtras } from './from-compare';

export type DecisionPageOptions = {
  /** figures the compare JSON does not carry yet, per stack (CPU, engine-only, saturation, issue 16) */
  extras?: Partial<Record<string, StackExtras>>;
  claimsExtras?: Partial<Record<string, ClaimsExtras>>;
  /** one invoice's counts per stack (`billing` in the compare JSON, see cost/counters.ts) */
  billing?: InvoiceCounts[];
};

export function decisionPage(
  results: Array<CompareStackJson & ClaimsCompareJson & { billing?: InvoiceCounts }>,
  options: DecisionPageOptions = {},
): { opening: string; closing: string } {
  const billing = options.billing ?? results.flatMap((r) => (r.billing && !r.failed ? [r.billing] : []));
  return {
    opening: buildDecisionTable(decisionInputFromCompare(results, options.extras)),
    closing: [
      claimsTable(measuresFromCompare(results, options.claimsExtras)),
      costSection(billing),
      citationsSection(CITATIONS),
    ].join('\n\n'),
  };
}
