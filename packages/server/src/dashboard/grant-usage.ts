import { type GrantStatus, type Period, parseMoney, periodWindow } from '@allowance/protocol';
import { type GrantRecord, type Store, usageCounters } from '@allowance/store';

/** What the dashboard calls a grant's state: its status, or `expired` once past its expiry. */
export type GrantState = GrantStatus | 'expired';

/** A grant's state at `now`. Revocation wins over expiry: it is final. */
export function grantState(grant: Pick<GrantRecord, 'status' | 'expiresAt'>, now: number): GrantState {
  if (grant.status === 'revoked') return 'revoked';
  if (grant.expiresAt <= now) return 'expired';
  return grant.status;
}

/** Use of one limit of a grant in its current period. Money in micros, tokens in tokens. */
export interface UsageLine {
  kind: 'money' | 'tokens';
  period: Period;
  periodKey: string;
  /** The limit as the grant states it now (the gateway holds calls against this). */
  limit: number;
  spent: number;
  /** Held by calls still running. */
  reserved: number;
}

/**
 * The use of every money and token limit of these grants in the current calendar period of the
 * wallet's time zone, read from the usage counters the gateway reserves against: one query,
 * whatever the size of the ledger. A limit with no counter yet has used nothing.
 */
export async function grantUsage(
  store: Store,
  grants: readonly GrantRecord[],
  timeZone: string,
  now: number,
): Promise<Map<string, UsageLine[]>> {
  const keyOf = (period: Period) => periodWindow(period, new Date(now), timeZone).key;
  const lines = new Map<string, UsageLine[]>();
  for (const grant of grants) {
    const money = (grant.details.budget?.limits ?? []).map(
      (limit): UsageLine => ({
        kind: 'money',
        period: limit.period,
        periodKey: keyOf(limit.period),
        limit: parseMoney(limit.amount),
        spent: 0,
        reserved: 0,
      }),
    );
    const tokens = (grant.details.tokens?.limits ?? []).map(
      (limit): UsageLine => ({
        kind: 'tokens',
        period: limit.period,
        periodKey: keyOf(limit.period),
        limit: limit.tokens,
        spent: 0,
        reserved: 0,
      }),
    );
    lines.set(grant.id, [...money, ...tokens]);
  }
  const periodKeys = new Set([...lines.values()].flat().map((line) => line.periodKey));
  const counters = await usageCounters(store, [...lines.keys()], [...periodKeys]);
  for (const counter of counters) {
    const line = lines
      .get(counter.subject)
      ?.find((candidate) => candidate.kind === counter.kind && candidate.periodKey === counter.periodKey);
    if (line) {
      line.spent = counter.spent;
      line.reserved = counter.reserved;
    }
  }
  return lines;
}
