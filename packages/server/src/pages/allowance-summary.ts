import type { AiAllowance, Period } from '@allowance/protocol';
import { html, type SafeHtml } from './html.js';

/** "per month", "in total" … for a limit of a period. */
export const PER_PERIOD: Readonly<Record<Period, string>> = {
  day: 'per day',
  week: 'per week',
  month: 'per month',
  year: 'per year',
  total: 'in total',
};

/** "today", "this month" … for the current period of a limit. */
export const CURRENT_PERIOD: Readonly<Record<Period, string>> = {
  day: 'today',
  week: 'this week',
  month: 'this month',
  year: 'this year',
  total: 'in total',
};

const list = (values: readonly string[] | undefined, empty: string) =>
  values && values.length > 0 ? values.join(', ') : empty;

/** What an allowance (asked for, or granted) lets its app do, in plain words: a definition list. */
export function allowanceSummary(details: AiAllowance): SafeHtml {
  const budget = details.budget;
  const tokens = details.tokens;
  const perCall = [
    tokens?.max_input_per_request !== undefined ? `${tokens.max_input_per_request} input` : undefined,
    tokens?.max_output_per_request !== undefined ? `${tokens.max_output_per_request} output` : undefined,
  ].filter((part): part is string => part !== undefined);
  return html`<dl class="allowance">
<dt>Providers</dt><dd class="providers">${list(details.providers, 'none')}</dd>
<dt>Models</dt><dd class="models">${list(details.models, 'none')}</dd>
<dt>Budget</dt><dd class="budget">${
    budget
      ? budget.limits
          .map((limit) => `${limit.amount} ${budget.currency} ${PER_PERIOD[limit.period]}`)
          .join('; ')
      : 'no money limit of its own (token limits and your monthly cap apply)'
  }</dd>
${perCall.length > 0 ? html`<dt>Tokens per call</dt><dd>at most ${perCall.join(' and ')} tokens</dd>` : ''}
${
  tokens?.limits
    ? html`<dt>Token limits</dt><dd>${tokens.limits.map((limit) => `${limit.tokens} tokens ${PER_PERIOD[limit.period]}`).join('; ')}</dd>`
    : ''
}
${details.rate ? html`<dt>Rate</dt><dd>at most ${details.rate.requests_per_minute} calls per minute</dd>` : ''}
${details.confirm_above ? html`<dt>Confirmation</dt><dd>asks you before any call that could cost more than ${details.confirm_above.amount}</dd>` : ''}
<dt>Scopes</dt><dd class="scopes">${list(details.scopes, 'none')}</dd>
<dt>Retention</dt><dd>${details.retention === 'none' ? 'providers are asked not to store calls' : 'the provider’s default'}; the wallet keeps no prompt or answer text</dd>
</dl>`;
}
