import {
  type AnomalyPolicy,
  anomalyPolicySchema,
  describeAnomalyPolicy,
  formatMoney,
} from '@allowance/protocol';
import type { Form } from '../pages/form-body.js';
import { html, type SafeHtml } from '../pages/html.js';
import { type Reading, readAmount } from './settings-forms.js';

// The owner's thresholds for suspending a grant that behaves like a leaked token or a runaway
// loop (spec SEC-4), in numbers a person recognises: calls in a few seconds, money in a minute.

/** The policy in force for a wallet: the owner's own values over the wallet's defaults. */
export function effectiveAnomalyPolicy(
  defaults: AnomalyPolicy,
  own: Partial<AnomalyPolicy> | undefined,
): AnomalyPolicy {
  return { ...defaults, ...own };
}

/** The settings section that shows and sets the thresholds. */
export function anomalySection(
  view: { policy: AnomalyPolicy; own: boolean; currency: string },
  csrf: SafeHtml,
): SafeHtml {
  const { policy } = view;
  const number = (name: string, label: string, value: number) =>
    html`<label>${label} <input type="number" min="1" name="${name}" value="${value}" size="8" required></label>`;
  return html`<section id="anomaly" aria-labelledby="anomaly-heading"><h2 id="anomaly-heading">Automatic suspension</h2>
<p>The wallet suspends an app at once, and tells you, when it makes <strong id="anomaly-summary">${describeAnomalyPolicy(policy, view.currency)}</strong>. That is how a leaked token or a runaway loop looks; nobody using an app by hand comes near it. You resume a suspended app from its card. ${view.own ? 'These are your own values.' : 'These are the wallet’s defaults.'}</p>
<form method="post" action="/settings/anomaly" id="anomaly-form">${csrf}
${number('burst_calls', 'More than this many calls', policy.burstCalls)}
${number('burst_seconds', 'within this many seconds', policy.burstWindowSeconds)}
<label>or more than this amount (${view.currency}) <input type="text" inputmode="decimal" name="spend_amount" value="${formatMoney(policy.spendMicros)}" size="10" required></label>
${number('spend_seconds', 'spent within this many seconds', policy.spendWindowSeconds)}
<div class="actions"><button type="submit">Save thresholds</button></div></form>
${view.own ? html`<form method="post" action="/settings/anomaly/reset" class="inline" id="anomaly-reset">${csrf}<button class="secondary" type="submit">Use the defaults</button></form>` : ''}
</section>`;
}

/** The thresholds from the settings form, validated. */
export function readAnomalyPolicy(form: Form): Reading<AnomalyPolicy> {
  const whole = (name: string) => {
    const value = (form.get(name) ?? '').trim();
    return /^[0-9]{1,10}$/.test(value) ? Number(value) : Number.NaN;
  };
  const spend = readAmount(form, 'spend_amount', 'Amount');
  if (!spend.ok) return spend;
  const parsed = anomalyPolicySchema.safeParse({
    burstCalls: whole('burst_calls'),
    burstWindowSeconds: whole('burst_seconds'),
    spendMicros: spend.value,
    spendWindowSeconds: whole('spend_seconds'),
  });
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problem:
      'Nothing was changed: calls must be a whole number of at least 2, and each window a whole number of seconds from 1 to 86400.',
  };
}
