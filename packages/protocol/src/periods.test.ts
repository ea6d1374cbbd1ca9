import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, type Period, periodWindow } from './periods.js';

const HOUR = 3_600_000;

// Zones with half- and quarter-hour offsets, +14h, DST at midnight, 30-minute DST, and a zone
// that skipped a whole calendar day (Pacific/Apia, 2011-12-30).
const zones = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Santiago',
  'America/Havana',
  'Asia/Beirut',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Pacific/Apia',
  'America/St_Johns',
  'Africa/Casablanca',
];
const calendarPeriods: Period[] = ['day', 'week', 'month', 'year'];

describe('periodWindow', () => {
  it('finds the calendar month in the wallet time zone, not in UTC', () => {
    const window = periodWindow('month', new Date('2026-11-23T10:00:00Z'), 'Europe/Paris');
    expect(window.key).toBe('month:2026-11');
    expect(window.start?.toISOString()).toBe('2026-10-31T23:00:00.000Z');
    expect(window.end?.toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(periodWindow('month', new Date('2026-10-31T23:30:00Z'), 'Europe/Paris').key).toBe('month:2026-11');
    expect(periodWindow('month', new Date('2026-10-31T23:30:00Z'), 'UTC').key).toBe('month:2026-10');
  });

  it('makes daylight-saving days 23 and 25 hours long', () => {
    const spring = periodWindow('day', new Date('2026-03-29T12:00:00Z'), 'Europe/Paris');
    const autumn = periodWindow('day', new Date('2026-10-25T12:00:00Z'), 'Europe/Paris');
    expect(Number(spring.end) - Number(spring.start)).toBe(23 * HOUR);
    expect(Number(autumn.end) - Number(autumn.start)).toBe(25 * HOUR);
  });

  it('names ISO weeks by their week-year', () => {
    expect(periodWindow('week', new Date('2026-01-01T12:00:00Z'), 'UTC').key).toBe('week:2026-W01');
    expect(periodWindow('week', new Date('2027-01-01T12:00:00Z'), 'UTC').key).toBe('week:2026-W53');
    expect(periodWindow('week', new Date('2024-12-30T12:00:00Z'), 'UTC').key).toBe('week:2025-W01');
    const week = periodWindow('week', new Date('2026-11-23T12:00:00Z'), 'UTC');
    expect(week.key).toBe('week:2026-W48');
    expect(week.start?.toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(week.end?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('gives the lifetime period no bounds', () => {
    expect(periodWindow('total', new Date(), 'Europe/Paris')).toEqual({
      period: 'total',
      key: 'total',
      start: null,
      end: null,
    });
  });

  it('knows real zone names from made-up ones', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('tiles time: every instant lies in exactly one window, and windows meet end to start', () => {
    const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) });
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom(...zones),
        fc.constantFrom(...calendarPeriods),
        (time, zone, period) => {
          const window = periodWindow(period, new Date(time), zone);
          const start = Number(window.start);
          const end = Number(window.end);
          expect(start).toBeLessThanOrEqual(time);
          expect(time).toBeLessThan(end);
          expect(periodWindow(period, new Date(start), zone).key).toBe(window.key);
          expect(periodWindow(period, new Date(end - 1), zone).key).toBe(window.key);
          expect(periodWindow(period, new Date(start - 1), zone).key).not.toBe(window.key);
          const next = periodWindow(period, new Date(end), zone);
          expect(next.key).not.toBe(window.key);
          expect(Number(next.start)).toBe(end);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps day lengths within what real zones do', () => {
    const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) });
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), (time, zone) => {
        const window = periodWindow('day', new Date(time), zone);
        const hours = (Number(window.end) - Number(window.start)) / HOUR;
        expect(hours).toBeGreaterThanOrEqual(22);
        expect(hours).toBeLessThanOrEqual(26);
      }),
      { numRuns: 300 },
    );
  });

  it('names the same day as Intl for instants asked in order, across daylight-saving changes', () => {
    // In order, as the gateway asks: most answers come from the remembered current day.
    const walk = (zone: string, from: number, to: number, step: number) => {
      const oracle = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
      for (let time = from; time < to; time += step) {
        expect(periodWindow('day', new Date(time), zone).key, `${zone} ${new Date(time).toISOString()}`).toBe(
          `day:${oracle.format(new Date(time))}`,
        );
      }
    };
    // Four days around each of 2026's daylight-saving changes in the zones above.
    const changes = [
      [2, 6],
      [2, 27],
      [3, 3],
      [8, 4],
      [8, 25],
      [9, 2],
      [9, 24],
      [9, 31],
    ];
    for (const zone of zones)
      for (const [month = 0, day = 1] of changes)
        walk(zone, Date.UTC(2026, month, day), Date.UTC(2026, month, day + 4), 20 * 60_000);
    walk('Pacific/Apia', Date.UTC(2011, 11, 28), Date.UTC(2012, 0, 2), 5 * 60_000);
    walk('America/Havana', Date.UTC(2026, 2, 7), Date.UTC(2026, 2, 10), 5 * 60_000);
  });
});
