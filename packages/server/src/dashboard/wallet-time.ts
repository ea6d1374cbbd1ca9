import { periodWindow } from '@allowance/protocol';

// Every date the dashboard shows or reads is a calendar date in the wallet's time zone, the same
// zone the gateway counts periods in, so "today" on the page is the "day" the limits reset on.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * An instant as wall-clock time in the zone, `YYYY-MM-DD HH:MM:SS`.
 *
 * @example formatInstant(Date.UTC(2026, 10, 23, 9), 'Europe/Paris') // "2026-11-23 10:00:00"
 */
export function formatInstant(instant: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The calendar date of an instant in the zone, `YYYY-MM-DD`. */
export function civilDate(instant: number, timeZone: string): string {
  return periodWindow('day', new Date(instant), timeZone).key.slice('day:'.length);
}

/** The last `count` days up to and including today, oldest first, and the instants they start at. */
export interface DayRange {
  /** `YYYY-MM-DD`, one per day. */
  dates: string[];
  /** `dates.length + 1` instants: where each day starts, then where today ends. */
  boundaries: number[];
}

/** The last `count` calendar days in the zone, today included. */
export function lastDays(now: number, timeZone: string, count: number): DayRange {
  const dates: string[] = [];
  const boundaries: number[] = [];
  let window = periodWindow('day', new Date(now), timeZone);
  boundaries.push(window.end?.getTime() ?? now);
  for (let index = 0; index < count; index += 1) {
    const start = window.start?.getTime() ?? now;
    dates.push(window.key.slice('day:'.length));
    boundaries.push(start);
    window = periodWindow('day', new Date(start - 1), timeZone);
  }
  return { dates: dates.reverse(), boundaries: boundaries.reverse() };
}

/**
 * The last second of a calendar date in the zone (an allowance "until the end of" that day), or
 * `undefined` when the text is not a real `YYYY-MM-DD` date.
 */
export function endOfCivilDate(date: string, timeZone: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const noon = Date.UTC(year, month - 1, day, 12);
  const check = new Date(noon);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  // UTC noon falls on the date itself in zones behind UTC+12, UTC midnight in zones at or ahead
  // of UTC; one of the two always does.
  for (const probe of [noon, Date.UTC(year, month - 1, day)]) {
    const window = periodWindow('day', new Date(probe), timeZone);
    if (window.key === `day:${date}` && window.end) return window.end.getTime() - 1000;
  }
  return undefined;
}
