import { formatMoney } from '@allowance/protocol';
import type { ConfirmationRecord, ConfirmationState } from '@allowance/store';
import { html, type SafeHtml } from '../pages/html.js';
import { dashboardPage, type PageMessage } from './dashboard-layout.js';
import type { UsageLine } from './grant-usage.js';
import { usageMeter } from './usage-meter.js';
import { formatInstant } from './wallet-time.js';

/** What every confirmation page shows around its content. */
interface PageFrame {
  email: string;
  csrf: SafeHtml;
  currency: string;
  timeZone: string;
  message?: PageMessage;
}

/** One pending confirmation as the list shows it. */
export interface PendingConfirmationView {
  confirmation: ConfirmationRecord;
  clientName: string;
}

const path = (id: string) => `/confirmations/${encodeURIComponent(id)}`;

const STATE_TEXT: Readonly<Record<ConfirmationState, string>> = {
  pending: 'Waiting for your decision',
  approved: 'Approved: the app’s next retry of this call goes through, once',
  denied: 'Denied',
  used: 'Approved and used by one call',
  expired: 'Expired without being used',
};

/** `GET /confirmations`: the calls apps are waiting to make until the user approves them. */
export function confirmationListPage(
  view: PageFrame & { pending: readonly PendingConfirmationView[] },
): string {
  const rows = view.pending.map(
    ({ confirmation, clientName }) =>
      html`<tr data-confirmation="${confirmation.id}"><td>${clientName}</td><td>${confirmation.model} <span class="muted">(${confirmation.providerId})</span></td><td class="number">${formatMoney(confirmation.estimatedMaxMicros)} ${view.currency}</td><td>${formatInstant(confirmation.expiresAt, view.timeZone)}</td><td><a href="${path(confirmation.id)}">Review</a></td></tr>`,
  );
  return dashboardPage({
    title: 'Confirmations',
    section: 'confirmations',
    email: view.email,
    csrf: view.csrf,
    message: view.message ?? {},
    body: html`<h1>Calls waiting for your confirmation</h1>
<section aria-labelledby="pending-heading"><h2 id="pending-heading">Pending</h2>
<p class="muted">An app whose allowance asks you to confirm expensive calls stops before each one and waits here. Times are in ${view.timeZone}.</p>
${
  view.pending.length === 0
    ? html`<p id="no-confirmations">No call is waiting for you.</p>`
    : html`<div class="table-scroll"><table id="pending-confirmations"><thead><tr><th scope="col">App</th><th scope="col">Model</th><th scope="col" class="number">Could cost up to</th><th scope="col">Expires</th><th scope="col">Decision</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
</section>`,
  });
}

/**
 * `GET /confirmations/{id}`: one call an app wants to make, with the app, the provider and model,
 * the estimated maximum cost and what is left of the app's budget (spec 06-metering §6.10), and
 * the Approve and Deny forms while it is pending.
 */
export function confirmationPage(
  view: PageFrame & {
    confirmation: ConfirmationRecord;
    state: ConfirmationState;
    clientName: string;
    usage: readonly UsageLine[];
  },
): string {
  const { confirmation, currency } = view;
  const cost = `${formatMoney(confirmation.estimatedMaxMicros)} ${currency}`;
  const meters = view.usage.map((line, index) => usageMeter(line, currency, `confirmation-usage-${index}`));
  const action = (decision: 'approve' | 'deny', label: string, className?: string) =>
    html`<form id="${decision}" method="post" action="${path(confirmation.id)}/${decision}">${view.csrf}<button${className ? html` class="${className}"` : ''} type="submit">${label}</button></form>`;
  return dashboardPage({
    title: 'Confirm a call',
    section: 'confirmations',
    email: view.email,
    csrf: view.csrf,
    message: view.message ?? {},
    body: html`<h1>${view.clientName} wants to make a call that could cost up to ${cost}</h1>
<section aria-labelledby="call-heading" data-confirmation="${confirmation.id}"><h2 id="call-heading">The call</h2>
<dl>
<dt>App</dt><dd id="confirmation-app">${view.clientName} <span class="muted">(${confirmation.clientId})</span></dd>
<dt>Provider and model</dt><dd id="confirmation-model">${confirmation.providerId} / ${confirmation.model}</dd>
<dt>Estimated maximum cost</dt><dd id="confirmation-cost">${cost}</dd>
<dt>Asked at</dt><dd>${formatInstant(confirmation.createdAt, view.timeZone)}</dd>
<dt>Expires</dt><dd>${formatInstant(confirmation.expiresAt, view.timeZone)} (${view.timeZone})</dd>
<dt>Status</dt><dd id="confirmation-status" data-state="${view.state}">${STATE_TEXT[view.state]}</dd>
</dl>
<p class="muted">The cost is the worst case: the call is billed for what it really uses, usually less. Approving lets this one call through once; the app’s other limits still apply.</p>
</section>
${
  meters.length > 0
    ? html`<section aria-labelledby="budget-heading"><h2 id="budget-heading">What is left of this app’s allowance</h2><ul class="usage">${meters}</ul></section>`
    : ''
}
${
  view.state === 'pending'
    ? html`<section aria-labelledby="decide-heading"><h2 id="decide-heading">Your decision</h2>
${action('approve', 'Approve this call')}
${action('deny', 'Deny', 'secondary')}
</section>`
    : ''
}
<p><a href="/confirmations">All pending confirmations</a></p>`,
  });
}
