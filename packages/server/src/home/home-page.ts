import { formatMoney } from '@allowance/protocol';
import type { GrantRecord, LedgerEntry } from '@allowance/store';
import { dashboardPage, type PageMessage } from '../dashboard/dashboard-layout.js';
import { grantCard, stateBadge } from '../dashboard/grant-card.js';
import type { GrantState, UsageLine } from '../dashboard/grant-usage.js';
import { formatInstant } from '../dashboard/wallet-time.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { CredentialSummary } from '../vault/provider-credentials.js';

/** Everything the signed-in home page shows. */
export interface HomeView {
  email: string;
  csrf: SafeHtml;
  message: PageMessage;
  currency: string;
  timeZone: string;
  credentials: readonly CredentialSummary[];
  /** Every grant of the account, newest first. */
  grants: ReadonlyArray<{ grant: GrantRecord; clientName: string; state: GrantState }>;
  /** The grants that are not revoked, with their use and last calls. */
  cards: ReadonlyArray<{
    grant: GrantRecord;
    clientName: string;
    state: GrantState;
    usage: readonly UsageLine[];
    lastCalls: readonly LedgerEntry[];
    /** When the wallet suspends it on its own (spec SEC-4), in words. */
    anomaly: string;
  }>;
  /** This calendar month in the wallet's time zone, and what every app spent in it (from the ledger). */
  month: { label: string; spentMicros: number };
  monthlyCapMicros: number | null;
  latestExpiryDate: string;
}

function monthSection(view: HomeView): SafeHtml {
  const { month, monthlyCapMicros: cap, currency, csrf } = view;
  const spent = formatMoney(month.spentMicros);
  return html`<section id="monthly-cap" aria-labelledby="monthly-cap-heading"><h2 id="monthly-cap-heading">This month (${month.label})</h2>
${
  cap === null
    ? html`<p>All apps together spent <strong id="month-spent">${spent}</strong> ${currency} this month. There is no wallet-wide monthly cap.</p>`
    : html`<p><span id="month-cap-label">Spent this month against your monthly cap</span>
<meter class="usage" min="0" max="${formatMoney(cap)}" value="${spent}" high="${formatMoney(Math.floor((cap * 4) / 5))}" optimum="0" aria-labelledby="month-cap-label"></meter>
<strong id="month-spent">${spent}</strong> of <strong id="month-cap">${formatMoney(cap)}</strong> ${currency}. When the cap is reached, the wallet refuses every app’s calls until next month.</p>`
}
<p class="muted">Spend is the sum of this month’s metered calls in the activity log.</p>
<form method="post" action="/monthly-cap" class="inline" id="set-monthly-cap">${csrf}
<label>Monthly cap across all apps (${currency}) <input type="text" inputmode="decimal" name="amount" size="10" value="${cap === null ? '' : formatMoney(cap)}" required></label>
<button type="submit">${cap === null ? 'Set cap' : 'Change cap'}</button></form>
${cap === null ? '' : html`<form method="post" action="/monthly-cap/clear" class="inline" id="clear-monthly-cap">${csrf}<button class="secondary" type="submit">Remove cap</button></form>`}
</section>`;
}

function grantsSection(view: HomeView): SafeHtml {
  const rows = view.grants.map(
    ({ grant, clientName, state }) => html`<tr data-grant="${grant.id}">
<th scope="row">${state === 'revoked' ? clientName : html`<a href="#grant-${grant.id}">${clientName}</a>`}</th>
<td class="models">${grant.details.models.join(', ')}</td><td>${stateBadge(state, grant.statusReason)}</td>
<td>${formatInstant(grant.expiresAt, view.timeZone)}</td>
<td>${
      state === 'revoked'
        ? ''
        : html`<form method="post" action="/grants/${grant.id}/revoke">${view.csrf}<button class="danger" type="submit">Revoke</button></form>`
    }</td></tr>`,
  );
  return html`<section id="apps" aria-labelledby="apps-heading"><h2 id="apps-heading">Connected apps</h2>
${
  view.grants.length > 0
    ? html`<div class="table-scroll"><table><caption class="muted">Every app you allowed, newest first. Times are in ${view.timeZone}.</caption>
<thead><tr><th scope="col">App</th><th scope="col">Models</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
${view.cards.map((card) => grantCard({ ...card, currency: view.currency, timeZone: view.timeZone, latestExpiryDate: view.latestExpiryDate, csrf: view.csrf }))}`
    : html`<p>No app is connected.</p>`
}
</section>`;
}

/**
 * What the owner must know about where a key goes: that the gateway refuses its base URL and why
 * (spec SEC-7, SEC-8), and that it may go to private addresses by their choice (SEC-8 rule 2).
 */
function keyDestinationNotes(credential: CredentialSummary): SafeHtml {
  const fix = credential.needsFix
    ? html`<p class="error key-needs-fix"><span class="status status-revoked">Needs a fix.</span> ${credential.needsFix} Until you save this key again with a base URL that can be used, apps get “provider unavailable”.</p>`
    : '';
  const network = credential.privateNetwork
    ? html`<p class="key-private-network"><span class="status status-suspended">Private network.</span> <span class="muted">You allowed this key to be sent to addresses on your private network.</span></p>`
    : '';
  return html`${fix}${network}`;
}

function keysSection(view: HomeView): SafeHtml {
  const keys = view.credentials.map(
    (
      credential,
    ) => html`<tr data-key="${credential.providerId}"${credential.needsFix ? html` data-needs-fix="yes"` : ''}><th scope="row">${credential.label} <span class="muted">(${credential.providerId})</span></th><td>${credential.baseUrl}${keyDestinationNotes(credential)}</td><td>…${credential.keyLastFour}</td>
<td><form method="post" action="/keys/${credential.providerId}/delete">${view.csrf}<button class="secondary" type="submit">Delete</button></form></td></tr>`,
  );
  return html`<section id="keys" aria-labelledby="keys-heading"><h2 id="keys-heading">Provider keys</h2>
<p class="muted">Stored encrypted. Apps never see them; the wallet shows only the last four characters. Saving a key for a provider you already have replaces it.</p>
${
  view.credentials.length > 0
    ? html`<table><thead><tr><th scope="col">Provider</th><th scope="col">Base URL</th><th scope="col">Key</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${keys}</tbody></table>`
    : html`<p>No keys yet.</p>`
}
<form method="post" action="/keys" id="add-key">${view.csrf}
<label for="provider-id">Provider id</label><input id="provider-id" type="text" name="providerId" placeholder="openai, anthropic, deepseek, or your own" required>
<label for="api-key">API key</label><input id="api-key" type="password" name="apiKey" autocomplete="off" required>
<label for="base-url">Base URL (only for providers the wallet does not know)</label><input id="base-url" type="text" name="baseUrl" placeholder="https://gateway.example.com/v1" aria-describedby="base-url-rules">
<p class="muted" id="base-url-rules">Use https://; http:// is accepted only for localhost and loopback addresses, since the key would travel unencrypted. Link-local and cloud metadata addresses are always refused.</p>
<label><input type="checkbox" name="privateNetwork" value="yes" aria-describedby="private-network-warning"> This key’s provider is on my private network</label>
<p class="muted" id="private-network-warning">Tick this only for a provider you run on your own network, such as your company’s gateway on the LAN: the wallet then sends this key to private addresses (10.x, 172.16–31.x, 192.168.x, 100.64.x, fc00::/7) for this provider, including a name that resolves to one.</p>
<label for="api">API family</label><select id="api" name="api"><option value="">known provider</option><option value="openai">OpenAI-compatible</option><option value="anthropic">Anthropic</option></select>
<div class="actions"><button type="submit">Save key</button></div></form></section>`;
}

/** The signed-in home: this month against the cap, the connected apps, and the provider keys. */
export function homePage(view: HomeView): string {
  return dashboardPage({
    title: 'Your wallet',
    section: 'apps',
    email: view.email,
    csrf: view.csrf,
    message: view.message,
    body: html`<h1>Your wallet</h1>
${monthSection(view)}
${grantsSection(view)}
${keysSection(view)}`,
  });
}
