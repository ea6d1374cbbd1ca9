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

/** Key, start and end of the current `day` or `month` period. */
export function currentPeriod(
  period: 'day' | 'month',
  now: number,
  timeZone: string,
): { key: string; start: string; end: string } {
  const local = localParts(now, timeZone);
  if (period === 'day') {
    const next = new Date(Date.UTC(local.year, local.month - 1, local.day + 1));
    return {
      key: `day:${local.year}-${pad(local.month)}-${pad(local.day)}`,
      start: iso(localMidnight(local.year, local.month, local.day, timeZone)),
      end: iso(localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone)),
    };
  }
  const next = new Date(Date.UTC(local.year, local.month, 1));
  return {
    key: `month:${local.year}-${pad(local.month)}`,
    start: iso(localMidnight(local.year, local.month, 1, timeZone)),
    end: iso(localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone)),
  };
}

/** Normalises an RFC 3339 UTC timestamp for comparison (drops zero milliseconds). */
export function sameInstant(a: unknown, b: string): boolean {
  return typeof a === 'string' && Date.parse(a) === Date.parse(b);
}
