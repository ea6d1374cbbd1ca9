import type { GrantRecord, LedgerEntry } from '@allowance/store';
import { allowanceSummary } from '../pages/allowance-summary.js';
import { html, type SafeHtml } from '../pages/html.js';
import { allowlistForm } from './address-allowlist.js';
import { callsTable } from './calls-table.js';
import { dpopRequirementForm } from './dpop-requirement.js';
import type { GrantState, UsageLine } from './grant-usage.js';
import { limitsForm } from './limits-form.js';
import { usageMeter } from './usage-meter.js';
import { civilDate, formatInstant } from './wallet-time.js';

/** Everything one grant's card shows. */
export interface GrantCardView {
  grant: GrantRecord;
  clientName: string;
  state: GrantState;
  usage: readonly UsageLine[];
  lastCalls: readonly LedgerEntry[];
  /** When the wallet suspends it on its own (spec SEC-4), in words. */
  anomaly: string;
  currency: string;
  timeZone: string;
  /** The latest date the expiry can be moved to (the wallet's maximum grant lifetime from now). */
  latestExpiryDate: string;
  csrf: SafeHtml;
}

const STATE_TEXT: Readonly<Record<GrantState, string>> = {
  active: 'active',
  suspended: 'suspended',
  revoked: 'revoked',
  expired: 'expired',
};

/** The state as a labelled badge, with the reason a grant was suspended or revoked. */
export function stateBadge(state: GrantState, reason: string | null): SafeHtml {
  return html`<span class="status status-${state}">${STATE_TEXT[state]}</span>${
    reason && (state === 'suspended' || state === 'revoked')
      ? html` <span class="muted">(${reason})</span>`
      : ''
  }`;
}

function actions(view: GrantCardView): SafeHtml {
  const { grant, state, csrf } = view;
  if (state === 'revoked') return html``;
  const toggle =
    grant.status === 'suspended'
      ? html`<form method="post" action="/grants/${grant.id}/resume" class="inline resume">${csrf}<button type="submit">Resume</button></form>`
      : html`<form method="post" action="/grants/${grant.id}/suspend" class="inline suspend">${csrf}<label>Reason, which the app is told <input type="text" name="reason" maxlength="200" placeholder="optional"></label><button class="secondary" type="submit">Suspend</button></form>`;
  return html`<div class="grant-actions">${toggle}
<form method="post" action="/grants/${grant.id}/revoke" class="inline revoke">${csrf}<button class="danger" type="submit">Revoke</button></form></div>
<details class="edit"><summary>Lower its limits</summary>${limitsForm(grant.id, grant.details, csrf)}</details>
<details class="edit"><summary>Change when it expires</summary>
<form method="post" action="/grants/${grant.id}/expiry" class="expiry">${csrf}
<label>Allowed until the end of <input type="date" name="expires_on" value="${civilDate(grant.expiresAt, view.timeZone)}" max="${view.latestExpiryDate}" required></label>
<p class="muted">At most until ${view.latestExpiryDate}, the longest this wallet allows.</p>
<div class="actions"><button type="submit">Save expiry</button></div></form></details>
<details class="edit"${grant.ipAllowlist.length > 0 ? ' open' : ''}><summary>Limit where it may call from</summary>${allowlistForm(grant.id, grant.ipAllowlist, csrf)}</details>
<details class="edit"${grant.requireDpop ? ' open' : ''}><summary>Require proof of the app’s key (DPoP)</summary>${dpopRequirementForm(grant.id, grant.requireDpop, csrf)}</details>`;
}

/** One connected app's card: what it may do, what it used this period, its last calls, and actions. */
export function grantCard(view: GrantCardView): SafeHtml {
  const { grant } = view;
  const headingId = `grant-${grant.id}-heading`;
  return html`<section class="grant" id="grant-${grant.id}" data-grant-card="${grant.id}" aria-labelledby="${headingId}">
<h3 id="${headingId}">${view.clientName} <span class="muted">(${grant.clientId})</span></h3>
<p>Status: ${stateBadge(view.state, grant.statusReason)} · granted ${formatInstant(grant.createdAt, view.timeZone)} · ${
    view.state === 'expired' ? 'expired' : 'expires'
  } <time datetime="${grant.details.expires_at}">${formatInstant(grant.expiresAt, view.timeZone)}</time></p>
${view.state === 'active' ? html`<p class="muted anomaly-threshold">Suspended automatically if it makes ${view.anomaly} (<a href="/settings#anomaly">change</a>).</p>` : ''}
<h4>What it may do</h4>
${allowanceSummary(grant.details)}
<h4>Use in the current periods</h4>
${
  view.usage.length > 0
    ? html`<ul class="usage">${view.usage.map((line, index) => usageMeter(line, view.currency, `usage-${grant.id}-${index}`))}</ul>`
    : html`<p class="muted">No budget or token limit of its own.</p>`
}
<h4>Last calls</h4>
${
  view.lastCalls.length > 0
    ? html`${callsTable(view.lastCalls, { caption: `The latest ${view.lastCalls.length} calls`, currency: view.currency, timeZone: view.timeZone })}
<p><a href="/activity?app=${encodeURIComponent(grant.clientId)}">All calls of ${view.clientName}</a></p>`
    : html`<p class="muted">No calls yet.</p>`
}
${actions(view)}
</section>`;
}
