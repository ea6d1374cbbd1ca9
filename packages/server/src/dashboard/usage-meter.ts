import { formatMoney } from '@allowance/protocol';
import { CURRENT_PERIOD } from '../pages/allowance-summary.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { UsageLine } from './grant-usage.js';

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part * 100) / whole) : 0);

/**
 * One limit's use in its current period as a `<meter>` (exposed to assistive technology with its
 * label and value) followed by the same numbers in words. Money is written as exact decimals.
 */
export function usageMeter(line: UsageLine, currency: string, labelId: string): SafeHtml {
  const money = line.kind === 'money';
  const amount = (value: number) => (money ? formatMoney(value) : String(value));
  const unit = money ? currency : 'tokens';
  const label = `${money ? 'Budget' : 'Tokens'} ${CURRENT_PERIOD[line.period]}`;
  return html`<li data-usage="${line.kind}:${line.period}" data-period-key="${line.periodKey}">
<span id="${labelId}">${label}</span>
<meter class="usage" min="0" max="${amount(line.limit)}" value="${amount(line.spent)}" low="${amount(Math.floor(line.limit / 2))}" high="${amount(Math.floor((line.limit * 4) / 5))}" optimum="0" aria-labelledby="${labelId}">${percent(line.spent, line.limit)}%</meter>
<span class="spent">${amount(line.spent)}</span> of <span class="limit">${amount(line.limit)}</span> ${unit} used (${percent(line.spent, line.limit)}%)${
    line.reserved > 0
      ? html`, <span class="reserved">${amount(line.reserved)}</span> held by calls in flight`
      : ''
  }
</li>`;
}
