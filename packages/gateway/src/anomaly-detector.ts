import {
  type AnomalyPolicy,
  type ApprovedAiAllowance,
  DEFAULT_ANOMALY_POLICY,
  formatMoney,
  periodWindow,
} from '@allowance/protocol';
import { preparedQuery, type Store } from '@allowance/store';
import { sql } from 'kysely';

export { type AnomalyPolicy, DEFAULT_ANOMALY_POLICY };

// Read on every call (BENCHMARKS.md, "Profiling and fixes" 1): built once for each number of keys. A window no longer than a
// day meets at most two periods of each kind, so at most ten keys: the current and the earliest
// period of each. Usually it meets one or two; the statement looks up exactly those.
const KEY_SLOTS = 10;
type KeySlots = Record<`key${number}`, string>;
const moneyCounterQueries = Array.from({ length: KEY_SLOTS }, (_, last) =>
  preparedQuery<{ subject: string } & KeySlots, { period_key: string; spent: number }>((database, slot) =>
    database
      .selectFrom('usage_counters')
      .select(['period_key', 'spent'])
      .where('subject', '=', slot('subject'))
      .where('kind', '=', 'money')
      .where(
        'period_key',
        'in',
        Array.from({ length: last + 1 }, (_, index) => slot(`key${index}`)),
      ),
  ),
);

/** The calls of one grant within the burst window, oldest first, from `head` on. */
interface CallTimes {
  times: number[];
  head: number;
}

/**
 * Per-grant burst and spend-velocity rules (spec SEC-4): more calls than the policy allows in its
 * burst window, or more money than it allows in its spend window, both numbers a user reads on
 * the grant card and sets in settings. Returns why a grant should be suspended, or undefined.
 * Bursts are counted in memory per gateway process; spend is read from the ledger's (grant, time)
 * index when the grant's counters cannot rule it out.
 */
export class AnomalyDetector {
  readonly #calls = new Map<string, CallTimes>();
  readonly #sums = new Map<string, { at: number; since: number; spent: number }>();

  constructor(
    private readonly store: Store,
    /** The wallet's defaults; each wallet's owner may set their own (spec SEC-4). */
    private readonly defaults: AnomalyPolicy = DEFAULT_ANOMALY_POLICY,
  ) {}

  /**
   * Counts this call and checks both rules. Only calls since the user last changed the grant
   * count, so a grant the user resumed starts with clean windows instead of being suspended again.
   */
  async check(
    grant: { id: string; details: ApprovedAiAllowance; updatedAt: number },
    now: number,
    wallet: { currency: string; timeZone: string; anomaly?: Partial<AnomalyPolicy> },
  ): Promise<string | undefined> {
    const policy = { ...this.defaults, ...wallet.anomaly };
    const calls = this.#recentCalls(grant, now, policy.burstWindowSeconds);
    if (calls > policy.burstCalls) {
      return `${calls} calls in ${policy.burstWindowSeconds} seconds, above the ${policy.burstCalls} allowed`;
    }
    const window = policy.spendWindowSeconds;
    if ((await this.spendBound(grant, now, wallet.timeZone, window)) <= policy.spendMicros) return undefined;
    const spent = await this.#spentInWindow(grant, now, window);
    if (spent > policy.spendMicros) {
      const { currency } = wallet;
      return `${formatMoney(spent)} ${currency} spent in ${window} seconds, above the ${formatMoney(policy.spendMicros)} ${currency} allowed`;
    }
    return undefined;
  }

  /**
   * What the grant spent in the window, from the ledger. A grant that legitimately spends more
   * than its bound would otherwise sum the window's rows on every call, so the sum is taken at
   * most once a second per grant; a suspension can come up to a second later.
   */
  async #spentInWindow(
    grant: { id: string; updatedAt: number },
    now: number,
    windowSeconds: number,
  ): Promise<number> {
    const kept = this.#sums.get(grant.id);
    if (kept && now - kept.at < 1_000 && kept.since === grant.updatedAt) return kept.spent;
    const row = await this.store.database
      .selectFrom('ledger')
      .select(sql<number>`coalesce(sum(cost_micros), 0)`.as('spent'))
      .where('grant_id', '=', grant.id)
      .where('started_at', '>', Math.max(now - windowSeconds * 1000, grant.updatedAt))
      .executeTakeFirst();
    const spent = Number(row?.spent ?? 0);
    if (this.#sums.size >= 100_000) this.#sums.clear();
    this.#sums.set(grant.id, { at: now, since: grant.updatedAt, spent });
    return spent;
  }

  /**
   * Records this call and returns how many calls the grant made within the burst window. The
   * calls leave from the front as they age, so a call costs the same however many the window
   * holds (BENCHMARKS.md, "Profiling and fixes": filtering the whole window on every call grew with the load).
   */
  #recentCalls(grant: { id: string; updatedAt: number }, now: number, windowSeconds: number): number {
    const since = Math.max(now - windowSeconds * 1000, grant.updatedAt);
    let window = this.#calls.get(grant.id);
    if (!window) {
      if (this.#calls.size >= 100_000) this.#calls.clear();
      window = { times: [], head: 0 };
      this.#calls.set(grant.id, window);
    }
    const { times } = window;
    while (window.head < times.length && (times[window.head] ?? 0) <= since) window.head += 1;
    if (window.head >= 1024 && window.head * 2 >= times.length) {
      window.times = times.slice(window.head);
      window.head = 0;
    }
    window.times.push(now);
    return window.times.length - window.head;
  }

  /**
   * An upper bound of what the grant spent within the spend window, from its per-period totals:
   * a few counter rows instead of a sum over every ledger row of the last minute, which grows
   * with the load (BENCHMARKS.md, "Profiling and fixes" 1: 1.6 ms a call at 20 000 rows). A window no longer than a day meets at
   * most two periods of any limit: the current one and the one the window starts in. Every call
   * since the user's last change was counted under each of the grant's current limits, so each
   * kind bounds the window and the smallest bound is used. Infinity when there is no total to go by.
   */
  private async spendBound(
    grant: { id: string; details: ApprovedAiAllowance },
    now: number,
    timeZone: string,
    windowSeconds: number,
  ): Promise<number> {
    const periods = [...new Set((grant.details.budget?.limits ?? []).map((limit) => limit.period))];
    if (windowSeconds > 86_400 || periods.length === 0) return Number.POSITIVE_INFINITY;
    const start = new Date(now - windowSeconds * 1000);
    const keysOf = periods.map((period) => [
      ...new Set([
        periodWindow(period, new Date(now), timeZone).key,
        periodWindow(period, start, timeZone).key,
      ]),
    ]);
    const distinct = [...new Set(keysOf.flat())];
    const values: { subject: string } & KeySlots = { subject: grant.id };
    distinct.forEach((key, index) => {
      values[`key${index}`] = key;
    });
    const query = moneyCounterQueries[distinct.length - 1];
    if (!query) throw new RangeError(`a spend window meets ${distinct.length} periods`);
    const { rows } = await query(this.store.database, values);
    const spentIn = new Map(rows.map((row) => [row.period_key, Number(row.spent)]));
    let bound = Number.POSITIVE_INFINITY;
    for (const keys of keysOf) {
      if (!keys.some((key) => spentIn.has(key))) continue;
      bound = Math.min(
        bound,
        keys.reduce((sum, key) => sum + (spentIn.get(key) ?? 0), 0),
      );
    }
    return bound;
  }
}
