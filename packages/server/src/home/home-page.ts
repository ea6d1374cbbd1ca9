import type { GrantRecord } from '@allowance/store';
import { html, type SafeHtml } from '../pages/html.js';
import { layout } from '../pages/layout.js';
import type { CredentialSummary } from '../vault/provider-credentials.js';

/** The signed-in home: provider keys and connected apps. (The full dashboard builds on this.) */
export function homePage(view: {
  email: string;
  csrf: SafeHtml;
  credentials: CredentialSummary[];
  grants: GrantRecord[];
  notice?: string | undefined;
  problem?: string | undefined;
}): string {
  const keys = view.credentials.map(
    (
      credential,
    ) => html`<tr><td>${credential.label} <span class="muted">(${credential.providerId})</span></td><td>${credential.baseUrl}</td><td>…${credential.keyLastFour}</td>
<td><form method="post" action="/keys/${credential.providerId}/delete">${view.csrf}<button class="secondary" type="submit">Delete</button></form></td></tr>`,
  );
  const grants = view.grants.map(
    (
      grant,
    ) => html`<tr data-grant="${grant.id}"><td>${grant.clientId}</td><td>${grant.details.models.join(', ')}</td><td class="status">${grant.status}</td><td>${grant.details.expires_at}</td>
<td>${
      grant.status === 'revoked'
        ? ''
        : html`<form method="post" action="/grants/${grant.id}/revoke">${view.csrf}<button class="danger" type="submit">Revoke</button></form>`
    }</td></tr>`,
  );
  return layout(
    'Your wallet',
    html`${view.notice ? html`<p class="note" role="status" id="notice">${view.notice}</p>` : ''}
${view.problem ? html`<p class="error" role="alert" id="problem">${view.problem}</p>` : ''}
<section><h1>Provider keys</h1>
<p class="muted">Stored encrypted. Apps never see them; the wallet shows only the last four characters.</p>
${view.credentials.length > 0 ? html`<table><thead><tr><th>Provider</th><th>Base URL</th><th>Key</th><th></th></tr></thead><tbody>${keys}</tbody></table>` : html`<p>No keys yet.</p>`}
<form method="post" action="/keys" id="add-key">${view.csrf}
<label for="provider-id">Provider id</label><input id="provider-id" type="text" name="providerId" placeholder="openai, anthropic, deepseek, or your own" required>
<label for="api-key">API key</label><input id="api-key" type="password" name="apiKey" autocomplete="off" required>
<label for="base-url">Base URL (only for providers the wallet does not know)</label><input id="base-url" type="text" name="baseUrl" placeholder="https://gateway.example.com/v1">
<label for="api">API family</label><select id="api" name="api"><option value="">known provider</option><option value="openai">OpenAI-compatible</option><option value="anthropic">Anthropic</option></select>
<div class="actions"><button type="submit">Save key</button></div></form></section>
<section><h1>Connected apps</h1>
${view.grants.length > 0 ? html`<table><thead><tr><th>App</th><th>Models</th><th>Status</th><th>Expires</th><th></th></tr></thead><tbody>${grants}</tbody></table>` : html`<p>No app is connected.</p>`}
</section>
<form method="post" action="/signout">${view.csrf}<button class="secondary" type="submit">Sign out</button></form>`,
    { signedInAs: view.email },
  );
}
