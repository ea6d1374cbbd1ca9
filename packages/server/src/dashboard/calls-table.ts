import { formatMoney } from '@allowance/protocol';
import type { LedgerEntry } from '@allowance/store';
import { html, type SafeHtml } from '../pages/html.js';
import type { ClientNames } from './client-names.js';
import { formatInstant } from './wallet-time.js';

/** How a call ended, in a few words: `ok`, or the status with the HTTP status and error code. */
export function callOutcome(row: Pick<LedgerEntry, 'status' | 'http_status' | 'error_code'>): string {
  if (row.status === 'ok') return 'ok';
  const detail = [row.http_status ? String(row.http_status) : '', row.error_code ?? '']
    .filter(Boolean)
    .join(' ');
  return detail ? `${row.status} (${detail})` : row.status;
}

/**
 * Metered calls as a table, one row per ledger row (`tr[data-call]`): when, which app and model,
 * tokens, cost and outcome. Never any prompt or completion text: the ledger has none.
 */
export function callsTable(
  rows: readonly LedgerEntry[],
  options: { caption: string; currency: string; timeZone: string; appName?: ClientNames },
): SafeHtml {
  const { appName } = options;
  return html`<div class="table-scroll"><table class="calls">
<caption class="muted">${options.caption}</caption>
<thead><tr><th scope="col">Time</th>${appName ? html`<th scope="col">App</th>` : ''}<th scope="col">Model</th><th scope="col">Provider</th>
<th scope="col" class="number">Input tokens</th><th scope="col" class="number">Cached input</th><th scope="col" class="number">Cache write</th><th scope="col" class="number">Output tokens</th>
<th scope="col" class="number">Cost (${options.currency})</th><th scope="col">Status</th></tr></thead>
<tbody>${rows.map(
    (
      row,
    ) => html`<tr data-call="${row.id}"><td>${formatInstant(Number(row.started_at), options.timeZone)}</td>${
      appName ? html`<td class="app">${appName(row.client_id)}</td>` : ''
    }<td class="model">${row.model}</td><td>${row.provider_id}</td>
<td class="number">${Number(row.input_tokens)}</td><td class="number">${Number(row.cached_input_tokens)}</td><td class="number">${Number(row.cache_write_tokens)}</td><td class="number">${Number(row.output_tokens)}</td>
<td class="number cost">${formatMoney(Number(row.cost_micros))}</td><td>${callOutcome(row)}</td></tr>`,
  )}</tbody></table></div>`;
}
