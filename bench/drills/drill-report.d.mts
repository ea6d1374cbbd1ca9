import type { Store } from '@allowance/store';

/** The wallet database a drill audits. */
export type DrillDatabase = Store['database'];

/** What a drill did, what it checked, and every discrepancy it found (none when the books balance). */
export interface DrillReport {
  did: string;
  checked: string;
  findings: string[];
}
