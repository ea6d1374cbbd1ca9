import { z } from 'zod';
import { formatMoney } from './money.js';

/**
 * When a grant's use looks like a leaked token or a runaway loop rather than a person or an app
 * at work (spec SEC-4): a burst of calls, or a sum of money, within a short window. Each wallet
 * owner can tune it in settings; the grant card shows it.
 */
export interface AnomalyPolicy {
  /** More calls than this within `burstWindowSeconds` suspends the grant. */
  burstCalls: number;
  burstWindowSeconds: number;
  /** Spending more than this (micros, in the wallet currency) within `spendWindowSeconds` suspends it. */
  spendMicros: number;
  spendWindowSeconds: number;
}

/**
 * 300 calls in 10 seconds, or 2.00 of the wallet currency in a minute: far above what a person
 * chatting or an app serving its users does (a long answer from the dearest model costs well under
 * 1.00), and reached within seconds by a token draining the wallet in parallel.
 */
export const DEFAULT_ANOMALY_POLICY: Readonly<AnomalyPolicy> = Object.freeze({
  burstCalls: 300,
  burstWindowSeconds: 10,
  spendMicros: 2_000_000,
  spendWindowSeconds: 60,
});

/** zod schema for a policy an owner sets: windows up to a day, at least two calls a burst. */
export const anomalyPolicySchema = z.strictObject({
  burstCalls: z.number().int().min(2).max(1_000_000_000),
  burstWindowSeconds: z.number().int().min(1).max(86_400),
  spendMicros: z.number().int().min(1),
  spendWindowSeconds: z.number().int().min(1).max(86_400),
});

/** The policy in words, as the dashboard shows it: "more than 300 calls in 10 seconds, or …". */
export function describeAnomalyPolicy(policy: AnomalyPolicy, currency: string): string {
  const seconds = (count: number) =>
    count % 60 === 0
      ? `${count / 60} minute${count === 60 ? '' : 's'}`
      : `${count} second${count === 1 ? '' : 's'}`;
  return `more than ${policy.burstCalls} calls in ${seconds(policy.burstWindowSeconds)}, or more than ${formatMoney(policy.spendMicros)} ${currency} spent in ${seconds(policy.spendWindowSeconds)}`;
}
