import { z } from 'zod';

/** The periods a limit can be counted over; `total` is the grant's whole lifetime. */
export const PERIODS = ['day', 'week', 'month', 'year', 'total'] as const;

/** A period a budget or token limit is counted over. */
export type Period = (typeof PERIODS)[number];

/** zod schema for {@link Period}. */
export const periodSchema = z.enum(PERIODS);

/** The calendar period that contains an instant. `start`/`end` are null for `total`. */
export interface PeriodWindow {
  period: Period;
  /** Stable key for storage and display: `day:2026-11-23`, `week:2026-W48`, `month:2026-11`, `year:2026`, `total`. */
  key: string;
  /** First instant of the period (inclusive). */
  start: Date | null;
  /** First instant of the next period (exclusive). */
  end: Date | null;
}

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when the runtime knows this IANA time zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** zod schema for an IANA time zone name the runtime knows, such as `"Europe/Paris"`. */
export const timeZoneSchema = z.string().min(1).refine(isValidTimeZone, 'must be an IANA time zone name');

/** Wall-clock time in the zone, as milliseconds on a UTC-based scale (so it can be compared). */
function wallClock(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) + (instant - Math.floor(instant / 1000) * 1000);
}

function civilDateOf(instant: number, timeZone: string): CivilDate {
  // Every metered call asks for the date a few times, and Intl is slow (BENCHMARKS.md, "Profiling and fixes"): remember the
  // zone's current day as the instants it spans, found once, so later asks are two comparisons.
  const known = currentDays.get(timeZone);
  if (known && instant >= known.start && instant < known.end) return known.date;
  const wall = new Date(wallClock(instant, timeZone));
  const date = { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
  const start = startOfCivilDay(date, timeZone);
  const end = startOfCivilDay(addDays(date, 1), timeZone);
  if (start <= instant && instant < end) {
    if (currentDays.size >= MAX_MEMOIZED_WINDOWS) currentDays.clear();
    currentDays.set(timeZone, { start, end, date: Object.freeze(date) });
  }
  return date;
}

const currentDays = new Map<string, { start: number; end: number; date: Readonly<CivilDate> }>();

const HOUR = 3_600_000;

/**
 * The first instant whose wall-clock time in the zone is at or after midnight of the given date.
 * That is midnight itself, or the end of a daylight-saving gap where a zone skips midnight.
 * A binary search over the window every real UTC offset (−12h … +14h) falls in, so it holds
 * for any zone and any transition rule without a table of our own.
 */
function startOfCivilDay(date: CivilDate, timeZone: string): number {
  const target = Date.UTC(date.year, date.month - 1, date.day);
  let low = target - 15 * HOUR; // wall clock here is before the target in every zone
  let high = target + 13 * HOUR; // and after it here
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (wallClock(middle, timeZone) >= target) high = middle;
    else low = middle;
  }
  return high;
}

function addDays(date: CivilDate, days: number): CivilDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
function isoWeek(date: CivilDate): { weekYear: number; week: number; monday: CivilDate } {
  const weekday = (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7; // Monday = 0
  const monday = addDays(date, -weekday);
  const thursday = addDays(monday, 3);
  const firstOfYear = Date.UTC(thursday.year, 0, 1);
  const week =
    Math.floor((Date.UTC(thursday.year, thursday.month - 1, thursday.day) - firstOfYear) / (7 * 24 * HOUR)) +
    1;
  return { weekYear: thursday.year, week, monday };
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * The calendar period of the given kind that contains `instant`, in `timeZone`.
 *
 * @example periodWindow('month', new Date('2026-11-23T10:00:00Z'), 'Europe/Paris')
 * // { period: 'month', key: 'month:2026-11', start: 2026-10-31T23:00:00Z, end: 2026-11-30T23:00:00Z }
 */
export function periodWindow(period: Period, instant: Date, timeZone: string): PeriodWindow {
  if (period === 'total') return { period, key: 'total', start: null, end: null };
  const time = instant.getTime();
  if (!Number.isFinite(time)) throw new RangeError('invalid instant');
  const date = civilDateOf(time, timeZone);
  const memoKey = `${timeZone} ${period} ${date.year}-${date.month}-${date.day}`;
  const memoized = windows.get(memoKey);
  if (memoized) return { ...memoized };
  const window = computeWindow(period, date, timeZone);
  if (windows.size >= MAX_MEMOIZED_WINDOWS) windows.clear();
  windows.set(memoKey, window);
  return { ...window };
}

// The gateway asks for the same few windows on every request; each costs a few dozen calls into
// Intl, so remember them. Dates are immutable here because callers only get copies of the object
// and Date values are never mutated by this package.
const MAX_MEMOIZED_WINDOWS = 4096;
const windows = new Map<string, PeriodWindow>();

function computeWindow(period: Exclude<Period, 'total'>, date: CivilDate, timeZone: string): PeriodWindow {
  let first: CivilDate;
  let next: CivilDate;
  let key: string;
  switch (period) {
    case 'day':
      first = date;
      next = addDays(date, 1);
      key = `day:${date.year}-${pad(date.month)}-${pad(date.day)}`;
      break;
    case 'week': {
      const { weekYear, week, monday } = isoWeek(date);
      first = monday;
      next = addDays(monday, 7);
      key = `week:${weekYear}-W${pad(week)}`;
      break;
    }
    case 'month':
      first = { year: date.year, month: date.month, day: 1 };
      next =
        date.month === 12
          ? { year: date.year + 1, month: 1, day: 1 }
          : { year: date.year, month: date.month + 1, day: 1 };
      key = `month:${date.year}-${pad(date.month)}`;
      break;
    case 'year':
      first = { year: date.year, month: 1, day: 1 };
      next = { year: date.year + 1, month: 1, day: 1 };
      key = `year:${date.year}`;
      break;
  }
  return {
    period,
    key,
    start: new Date(startOfCivilDay(first, timeZone)),
    end: new Date(startOfCivilDay(next, timeZone)),
  };
}
