import { formatMoney } from '@allowance/protocol';
import type { DailyTotal } from '@allowance/store';
import type { ClientNames } from './client-names.js';

const HEADER = [
  'date',
  'app',
  'client_id',
  'model',
  'calls',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'cost',
  'currency',
];

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes doubled.
 * Text that a spreadsheet would run as a formula (a leading = + - @, tab or carriage return) is
 * prefixed with an apostrophe: app names come from app developers.
 */
export function csvField(value: string | number, kind: 'text' | 'value' = 'value'): string {
  let text = String(value);
  if (kind === 'text' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Spend as CSV: a header, then one row per day, app and model that had calls, with the cost as
 * an exact decimal in the wallet currency. Lines end in CRLF (RFC 4180).
 */
export function spendCsv(
  dates: readonly string[],
  totals: readonly DailyTotal[],
  appName: ClientNames,
  currency: string,
): string {
  const lines = [HEADER.join(',')];
  for (const total of totals) {
    lines.push(
      [
        csvField(dates[total.day] ?? ''),
        csvField(appName(total.clientId), 'text'),
        csvField(total.clientId, 'text'),
        csvField(total.model, 'text'),
        csvField(total.calls),
        csvField(total.inputTokens),
        csvField(total.cachedInputTokens),
        csvField(total.cacheWriteTokens),
        csvField(total.outputTokens),
        csvField(formatMoney(total.costMicros)),
        csvField(currency),
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
