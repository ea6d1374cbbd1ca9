import { describe, expect, it } from 'vitest';
import { civilDate, endOfCivilDate, formatInstant, lastDays } from './wallet-time.js';

describe('wallet time', () => {
  it('lists the last days of a zone, each starting at its local midnight, across a DST change', () => {
    // 2026-10-26 in Paris is the day after clocks went back: that day and the next are 24 h, the 25th is 25 h.
    const now = Date.parse('2026-10-27T10:00:00Z');
    const { dates, boundaries } = lastDays(now, 'Europe/Paris', 3);
    expect(dates).toEqual(['2026-10-25', '2026-10-26', '2026-10-27']);
    expect(boundaries.map((instant) => new Date(instant).toISOString())).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      '2026-10-26T23:00:00.000Z',
      '2026-10-27T23:00:00.000Z',
    ]);
  });

  it('ends a chosen date at its last second in the zone, in zones on both sides of UTC', () => {
    expect(new Date(endOfCivilDate('2026-12-31', 'UTC') ?? 0).toISOString()).toBe('2026-12-31T23:59:59.000Z');
    expect(new Date(endOfCivilDate('2026-12-31', 'Pacific/Kiritimati') ?? 0).toISOString()).toBe(
      '2026-12-31T09:59:59.000Z',
    );
    expect(new Date(endOfCivilDate('2026-12-31', 'Pacific/Pago_Pago') ?? 0).toISOString()).toBe(
      '2027-01-01T10:59:59.000Z',
    );
    for (const invalid of ['2026-02-29', '2026-13-01', '31/12/2026', '']) {
      expect(endOfCivilDate(invalid, 'UTC'), invalid).toBeUndefined();
    }
  });

  it('formats instants and dates as wall-clock time in the zone', () => {
    const instant = Date.parse('2026-11-23T23:30:05Z');
    expect(formatInstant(instant, 'Europe/Paris')).toBe('2026-11-24 00:30:05');
    expect(civilDate(instant, 'Europe/Paris')).toBe('2026-11-24');
    expect(civilDate(instant, 'America/New_York')).toBe('2026-11-23');
  });
});
