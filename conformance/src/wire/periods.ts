/** Calendar periods in a time zone (Part 3 §3.13), computed independently of the wallet. */

function localParts(
  instant: number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? '0');
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The UTC instant of local midnight starting the given local date. */
function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  // Two passes settle the zone offset, including on days when it changes.
  let instant = guess;
  for (let pass = 0; pass < 2; pass += 1) {
    const local = localParts(instant, timeZone);
    const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
    instant = guess - (asUtc - instant);
  }
  return instant;
}

const iso = (instant: number) => new Date(instant).toISOString().replace('.000Z', 'Z');
const pad = (value: number) => String(value).padStart(2, '0');

/** A calendar period of Part 3 §3.13 that has boundaries. */
export type CalendarPeriod = 'day' | 'week' | 'month' | 'year';

/** ISO 8601 week-numbering year and week of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  // The Thursday of this week decides the week-numbering year.
  const thursday = new Date(date.getTime() + (3 - weekday) * 86_400_000);
  const weekYear = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  const firstMonday = firstThursday.getTime() - ((firstThursday.getUTCDay() + 6) % 7) * 86_400_000;
  return {
    year: weekYear,
    week: 1 + Math.round((date.getTime() - weekday * 86_400_000 - firstMonday) / (7 * 86_400_000)),
  };
}

/** Key, start and end of the current calendar period in `timeZone`. */
export function currentPeriod(
  period: CalendarPeriod,
  now: number,
  timeZone: string,
): { key: string; start: string; end: string } {
  const local = localParts(now, timeZone);
  const span = (from: Date, to: Date) => ({
    start: iso(localMidnight(from.getUTCFullYear(), from.getUTCMonth() + 1, from.getUTCDate(), timeZone)),
    end: iso(localMidnight(to.getUTCFullYear(), to.getUTCMonth() + 1, to.getUTCDate(), timeZone)),
  });
  if (period === 'day') {
    return {
      key: `day:${local.year}-${pad(local.month)}-${pad(local.day)}`,
      ...span(
        new Date(Date.UTC(local.year, local.month - 1, local.day)),
        new Date(Date.UTC(local.year, local.month - 1, local.day + 1)),
      ),
    };
  }
  if (period === 'week') {
    const weekday = (new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() + 6) % 7;
    const week = isoWeek(local.year, local.month, local.day);
    return {
      key: `week:${week.year}-W${pad(week.week)}`,
      ...span(
        new Date(Date.UTC(local.year, local.month - 1, local.day - weekday)),
        new Date(Date.UTC(local.year, local.month - 1, local.day - weekday + 7)),
      ),
    };
  }
  if (period === 'month') {
    return {
      key: `month:${local.year}-${pad(local.month)}`,
      ...span(
        new Date(Date.UTC(local.year, local.month - 1, 1)),
        new Date(Date.UTC(local.year, local.month, 1)),
      ),
    };
  }
  return {
    key: `year:${local.year}`,
    ...span(new Date(Date.UTC(local.year, 0, 1)), new Date(Date.UTC(local.year + 1, 0, 1))),
  };
}

/**
 * A time zone far from UTC whose calendar date differs from UTC's at `now`: UTC+14 from 10:00
 * UTC, UTC−12 before 12:00 UTC. Chosen at run time, so a wallet computing periods in UTC fails
 * whatever hour the suite runs at.
 */
export function zoneWithAnotherDate(now: number): string {
  return new Date(now).getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Etc/GMT+12';
}

/** Normalises an RFC 3339 UTC timestamp for comparison (drops zero milliseconds). */
export function sameInstant(a: unknown, b: string): boolean {
  return typeof a === 'string' && Date.parse(a) === Date.parse(b);
}
