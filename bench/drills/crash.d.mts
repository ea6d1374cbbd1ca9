import type { DrillDatabase, DrillReport } from './drill-report.d.mts';

export declare const CRASH_ALLOWANCE: Record<string, unknown>;
export declare const CRASH_RULES: { tokensPerSecond: number; responseTokens: number }[];
export declare function crashDrill(options: {
  wallet: { gateway: string; crash(): Promise<void>; restart(): Promise<void> };
  database: DrillDatabase;
  grantId: string;
  token: () => Promise<string>;
  cycles?: number;
  callsPerCycle?: number;
  random?: () => number;
}): Promise<DrillReport>;
