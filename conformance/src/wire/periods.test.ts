import { describe, expect, it } from 'vitest';
import { currentPeriod, isoWeek, zoneWithAnotherDate } from './periods.js';

// The suite's own period arithmetic is what every wallet is judged against (Part 3 §3.13), so
// it is checked here at the edges the spec names: ISO week-numbering years, month and year
// rollover, daylight-saving days, and zones whose date is not UTC's.

describe('the suite’s periods', () => {
  it('numbers ISO weeks by the week-numbering year', () => {
    expect(isoWeek(2025, 12, 29)).toEqual({ year: 2026, week: 1 });
    expect(isoWeek(2027, 1, 1)).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(2026, 11, 23)).toEqual({ year: 2026, week: 48 });
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 });
  });

  it('gives day, week, month and year in the wallet zone across a year rollover', () => {
    // 2026-12-31T12:00Z is already 2027-01-01 in UTC+14.
    const now = Date.parse('2026-12-31T12:00:00Z');
    expect(currentPeriod('day', now, 'Pacific/Kiritimati')).toEqual({
      key: 'day:2027-01-01',
      start: '2026-12-31T10:00:00Z',
      end: '2027-01-01T10:00:00Z',
    });
    expect(currentPeriod('month', now, 'Pacific/Kiritimati').key).toBe('month:2027-01');
    expect(currentPeriod('year', now, 'Pacific/Kiritimati')).toEqual({
      key: 'year:2027',
      start: '2026-12-31T10:00:00Z',
      end: '2027-12-31T10:00:00Z',
    });
    expect(currentPeriod('week', now, 'Pacific/Kiritimati')).toEqual({
      key: 'week:2026-W53',
      start: '2026-12-27T10:00:00Z',
      end: '2027-01-03T10:00:00Z',
    });
    expect(currentPeriod('year', now, 'UTC').key).toBe('year:2026');
  });

  it('lets a daylight-saving day last 23 hours', () => {
    expect(currentPeriod('day', Date.parse('2026-03-29T12:00:00Z'), 'Europe/Paris')).toEqual({
      key: 'day:2026-03-29',
      start: '2026-03-28T23:00:00Z',
      end: '2026-03-29T22:00:00Z',
    });
  });

  it('picks a zone whose date differs from UTC’s at every hour', () => {
    for (let hour = 0; hour < 24; hour += 1) {
      const now = Date.UTC(2026, 11, 3, hour, 30);
      const zone = zoneWithAnotherDate(now);
      expect(currentPeriod('day', now, zone).key).not.toBe(currentPeriod('day', now, 'UTC').key);
    }
  });
});
