import { type ApprovedAiAllowance, PERIODS } from '@allowance/protocol';
import { PER_PERIOD } from '../pages/allowance-summary.js';
import { html, type SafeHtml } from '../pages/html.js';

/**
 * The form that lowers a grant's allowance: every part of it prefilled with its current value,
 * in the consent screen's field names so the same reader parses both. Anything can only go
 * down or be removed; the server checks that with `narrow`, whatever the browser sends.
 */
export function limitsForm(grantId: string, details: ApprovedAiAllowance, csrf: SafeHtml): SafeHtml {
  const { budget, tokens } = details;
  const field = (name: string, label: string, value: string | number, kind: 'money' | 'count') =>
    html`<label>${label} <input type="${kind === 'money' ? 'text' : 'number'}" ${kind === 'money' ? html`inputmode="decimal"` : html`min="1"`} name="${name}" value="${value}" size="10"></label>`;
  // Periods without a limit get an empty field: a limit added here counts everything already
  // spent in its current period from the moment it is saved (spec MTR-35).
  const moneyPeriods = new Set(budget?.limits.map((limit) => limit.period));
  const tokenPeriods = new Set(tokens?.limits?.map((limit) => limit.period));
  const addBudget = budget
    ? PERIODS.filter((period) => !moneyPeriods.has(period)).map((period) =>
        field(`budget.${period}`, `Add a limit (${budget.currency} ${PER_PERIOD[period]})`, '', 'money'),
      )
    : [];
  const addTokens = PERIODS.filter((period) => !tokenPeriods.has(period)).map((period) =>
    field(`tokens.${period}`, `Add a token limit ${PER_PERIOD[period]}`, '', 'count'),
  );
  return html`<form method="post" action="/grants/${grantId}/limits" class="limits">${csrf}
<fieldset><legend>Providers</legend>${details.providers.map(
    (provider) =>
      html`<label><input type="checkbox" name="provider" value="${provider}" checked> ${provider}</label>`,
  )}</fieldset>
<fieldset><legend>Models</legend>${details.models.map(
    (model) => html`<label><input type="checkbox" name="model" value="${model}" checked> ${model}</label>`,
  )}</fieldset>
${
  budget
    ? html`<fieldset><legend>Budget (${budget.currency})</legend>${budget.limits.map((limit) =>
        field(
          `budget.${limit.period}`,
          `At most (${budget.currency} ${PER_PERIOD[limit.period]})`,
          limit.amount,
          'money',
        ),
      )}${addBudget}</fieldset>`
    : ''
}
${
  tokens
    ? html`<fieldset><legend>Tokens</legend>
${tokens.max_input_per_request !== undefined ? field('tokens.max_input_per_request', 'Input tokens per call', tokens.max_input_per_request, 'count') : ''}
${tokens.max_output_per_request !== undefined ? field('tokens.max_output_per_request', 'Output tokens per call', tokens.max_output_per_request, 'count') : ''}
${(tokens.limits ?? []).map((limit) => field(`tokens.${limit.period}`, `Tokens ${PER_PERIOD[limit.period]}`, limit.tokens, 'count'))}
${addTokens}</fieldset>`
    : html`<fieldset><legend>Tokens</legend>${addTokens}</fieldset>`
}
${details.rate ? html`<fieldset><legend>Rate</legend>${field('rate', 'Calls per minute', details.rate.requests_per_minute, 'count')}</fieldset>` : ''}
${
  details.confirm_above
    ? html`<fieldset><legend>Confirmation</legend>${field('confirm_above', 'Ask me before calls that could cost more than', details.confirm_above.amount, 'money')}</fieldset>`
    : ''
}
${
  details.scopes && details.scopes.length > 0
    ? html`<fieldset><legend>Scopes</legend>${details.scopes.map(
        (scope) =>
          html`<label><input type="checkbox" name="scope" value="${scope}" checked> ${scope}</label>`,
      )}</fieldset>`
    : ''
}
<fieldset><legend>Privacy</legend>${
    details.retention === 'none'
      ? html`<p>Providers are asked not to store these calls.</p><input type="hidden" name="retention" value="none">`
      : html`<label><input type="checkbox" name="retention" value="none"> Ask providers not to store these calls</label>`
  }</fieldset>
<div class="actions"><button type="submit">Save lower limits</button></div>
</form>`;
}
