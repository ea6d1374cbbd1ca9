import type { DrillDatabase, DrillReport } from './drill-report.d.mts';

export declare const OVERSPEND_ALLOWANCES: Record<string, unknown>[];
export declare const OVERSPEND_RULES: { tokensPerSecond: number; responseTokens: number }[];
export declare function overspendDrill(options: {
  gateway: string;
  database: DrillDatabase;
  apps: { grantId: string; token: string }[];
  calls?: number;
  concurrency?: number;
}): Promise<DrillReport>;
