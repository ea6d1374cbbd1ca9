import type { DailyTotal } from '@allowance/store';
import type { ClientNames } from './client-names.js';

/** One app's or one model's spend, day by day. */
export interface SpendSeries {
  /** The client id, or the model id. */
  key: string;
  label: string;
  /** Micros per day, in the order of {@link SpendBreakdown.dates}. */
  perDay: number[];
  totalMicros: number;
  calls: number;
}

/** Spend over a range of days, in total, by app and by model. */
export interface SpendBreakdown {
  dates: readonly string[];
  dayTotals: number[];
  dayCalls: number[];
  totalMicros: number;
  calls: number;
  /** Largest first. */
  byApp: SpendSeries[];
  /** Largest first. */
  byModel: SpendSeries[];
}

function seriesBy(
  dates: readonly string[],
  totals: readonly DailyTotal[],
  keyOf: (total: DailyTotal) => string,
  labelOf: (key: string) => string,
): SpendSeries[] {
  const series = new Map<string, SpendSeries>();
  for (const total of totals) {
    const key = keyOf(total);
    let entry = series.get(key);
    if (!entry) {
      entry = { key, label: labelOf(key), perDay: dates.map(() => 0), totalMicros: 0, calls: 0 };
      series.set(key, entry);
    }
    entry.perDay[total.day] = (entry.perDay[total.day] ?? 0) + total.costMicros;
    entry.totalMicros += total.costMicros;
    entry.calls += total.calls;
  }
  return [...series.values()].sort(
    (a, b) => b.totalMicros - a.totalMicros || b.calls - a.calls || a.label.localeCompare(b.label),
  );
}

/** Sums per-day, per-app, per-model ledger totals into the series the spend page draws. Integer micros throughout. */
export function spendBreakdown(
  dates: readonly string[],
  totals: readonly DailyTotal[],
  appName: ClientNames,
): SpendBreakdown {
  const dayTotals = dates.map(() => 0);
  const dayCalls = dates.map(() => 0);
  let totalMicros = 0;
  let calls = 0;
  for (const total of totals) {
    dayTotals[total.day] = (dayTotals[total.day] ?? 0) + total.costMicros;
    dayCalls[total.day] = (dayCalls[total.day] ?? 0) + total.calls;
    totalMicros += total.costMicros;
    calls += total.calls;
  }
  return {
    dates,
    dayTotals,
    dayCalls,
    totalMicros,
    calls,
    byApp: seriesBy(dates, totals, (total) => total.clientId, appName),
    byModel: seriesBy(
      dates,
      totals,
      (total) => total.model,
      (model) => model,
    ),
  };
}
