import { type AiAllowance, type ModelPrice, qualifiedProvider } from '@allowance/protocol';
import { allowanceSummary } from '../pages/allowance-summary.js';
import { html, type SafeHtml } from '../pages/html.js';
import { layout } from '../pages/layout.js';

/** The app asking, as the consent screen describes it. */
export interface ClientDescription {
  id: string;
  name: string;
  logoUri?: string | undefined;
  redirectHosts: string[];
  /** When it was registered (dynamic registration), or undefined for clients in the wallet's configuration. */
  registeredAt?: number | undefined;
  /** Its tokens are always bound to a key it holds (DPoP), by its registration or the wallet's policy. */
  dpopBound: boolean;
}

/** Everything the consent screen shows. */
export interface ConsentView {
  uid: string;
  csrf: SafeHtml;
  client: ClientDescription;
  requested: AiAllowance;
  /** Provider ids the user has a key for. */
  availableProviders: ReadonlySet<string>;
  price: (provider: string, model: string) => ModelPrice | undefined;
  /** The expiry the form starts with, as a date (YYYY-MM-DD). */
  defaultExpiry: string;
  problems: string[];
  signedInAs: string;
  now: number;
}

const PER: Record<string, string> = {
  day: 'per day',
  week: 'per week',
  month: 'per month',
  year: 'per year',
  total: 'in total',
};

function registeredFor(registeredAt: number | undefined, now: number): string {
  if (registeredAt === undefined) return 'set up by this wallet’s owner';
  const days = Math.floor((now - registeredAt) / 86_400_000);
  if (days < 1) return 'registered today — be careful with apps you do not know';
  return `registered ${days} day${days === 1 ? '' : 's'} ago`;
}

function priceText(price: ModelPrice | undefined): string {
  if (!price) return 'no price set — metered in tokens only';
  return `${price.input} in / ${price.output} out ${price.currency} per million tokens`;
}

/** The consent screen: who asks, what for, in plain words, with every part narrowable. */
export function consentPage(view: ConsentView): string {
  const { requested, client } = view;
  const usable = requested.providers.filter((provider) => view.availableProviders.has(provider));
  const missing = requested.providers.filter((provider) => !view.availableProviders.has(provider));
  const budget = requested.budget;
  const tokens = requested.tokens;

  const providerRows = requested.providers.map((provider) => {
    const available = view.availableProviders.has(provider);
    return html`<label><input type="checkbox" name="provider" value="${provider}" ${available ? 'checked' : 'disabled'}> ${provider}${
      available ? '' : html` <span class="muted">(no key in your wallet)</span>`
    }</label>`;
  });
  // A model's price at the providers that serve it: the one it names ("deepseek/deepseek-chat"),
  // or those with a price for it; a model no provider prices is metered in tokens, said once.
  const modelRows = requested.models.map((model) => {
    const named = qualifiedProvider(model);
    const bare = named ? model.slice(named.length + 1) : model;
    const serving = named
      ? usable.filter((provider) => provider === named)
      : usable.filter((provider) => view.price(provider, bare) !== undefined);
    const prices =
      serving.length > 0
        ? serving.map((provider) => html`<li>${provider}: ${priceText(view.price(provider, bare))}</li>`)
        : [html`<li>${priceText(undefined)}</li>`];
    return html`<label><input type="checkbox" name="model" value="${model}" checked> <strong>${model}</strong></label><ul class="muted">${prices}</ul>`;
  });

  const body = html`<form class="card" method="post" action="/interaction/${view.uid}/consent" id="consent">
${view.csrf}
<div class="app">${client.logoUri ? html`<img src="${client.logoUri}" alt="">` : ''}<div>
<h1><span id="client-name">${client.name}</span> wants to use your AI providers</h1>
<p class="muted">App id <code id="client-id">${client.id}</code> · sends you back to ${client.redirectHosts.join(', ') || 'a device'} · ${registeredFor(client.registeredAt, view.now)}</p>
</div></div>
${
  view.problems.length > 0
    ? html`<div class="note" role="alert" id="problems"><p class="error">Nothing was approved:</p><ul>${view.problems.map((problem) => html`<li>${problem}</li>`)}</ul></div>`
    : ''
}
${
  missing.length > 0
    ? html`<p class="note" id="missing-providers">You have no key for ${missing.join(', ')}. <a href="/">Add one in your wallet</a> to allow ${missing.length === 1 ? 'it' : 'them'}.</p>`
    : ''
}
<section class="asked" aria-labelledby="asked-heading"><h2 id="asked-heading">What ${client.name} asks for</h2>${allowanceSummary(requested)}</section>
<p>The app never sees your keys. It calls models through your wallet, which stops it at the limits you set here. You can lower anything before you approve, and revoke it at any time.</p>
<fieldset><legend>Providers</legend>${providerRows}</fieldset>
<fieldset><legend>Models</legend>${modelRows}</fieldset>
${
  budget
    ? html`<fieldset><legend>Budget (${budget.currency})</legend>${budget.limits.map(
        (limit) =>
          html`<label>At most <input type="text" inputmode="decimal" name="budget.${limit.period}" value="${limit.amount}" aria-label="Budget ${PER[limit.period]}" size="10"> ${budget.currency} ${PER[limit.period]}</label>`,
      )}</fieldset>`
    : html`<p class="note">This app asks for no money limit: it is limited by the token caps below and by your wallet-wide cap, if you set one.</p>`
}
${
  tokens
    ? html`<fieldset><legend>Tokens</legend>
${tokens.max_input_per_request !== undefined ? html`<label>At most <input type="number" min="1" name="tokens.max_input_per_request" value="${tokens.max_input_per_request}" aria-label="Input tokens per call"> input tokens per call</label>` : ''}
${tokens.max_output_per_request !== undefined ? html`<label>At most <input type="number" min="1" name="tokens.max_output_per_request" value="${tokens.max_output_per_request}" aria-label="Output tokens per call"> output tokens per call</label>` : ''}
${(tokens.limits ?? []).map((limit) => html`<label>At most <input type="number" min="1" name="tokens.${limit.period}" value="${limit.tokens}" aria-label="Tokens ${PER[limit.period]}"> tokens ${PER[limit.period]}</label>`)}
</fieldset>`
    : ''
}
${requested.rate ? html`<fieldset><legend>Rate</legend><label>At most <input type="number" min="1" name="rate" value="${requested.rate.requests_per_minute}" aria-label="Calls per minute"> calls per minute</label></fieldset>` : ''}
${
  requested.confirm_above
    ? html`<fieldset><legend>Confirmation</legend><label>Ask me before any call that could cost more than <input type="text" inputmode="decimal" name="confirm_above" value="${requested.confirm_above.amount}" aria-label="Confirm calls above" size="8"></label></fieldset>`
    : ''
}
${
  requested.scopes && requested.scopes.length > 0
    ? html`<fieldset><legend>What the app may do with your data</legend><p class="muted">The app enforces these itself; the wallet shows them and puts them in its token.</p>${requested.scopes.map(
        (scope) =>
          html`<label><input type="checkbox" name="scope" value="${scope}" checked> ${scope}</label>`,
      )}</fieldset>`
    : ''
}
<fieldset><legend>Privacy</legend>${
    requested.retention === 'none'
      ? html`<p>Providers are asked not to store these calls, and the wallet keeps no prompt or answer text.</p><input type="hidden" name="retention" value="none">`
      : html`<label><input type="checkbox" name="retention" value="none"> Ask providers not to store these calls</label><p class="muted">The wallet never keeps prompt or answer text either way.</p>`
  }</fieldset>
<fieldset><legend>Until</legend><label>Allowed until the end of <input type="date" name="expires_on" value="${view.defaultExpiry}" aria-label="Expiry date"></label></fieldset>
${
  client.dpopBound
    ? html`<p class="muted">${client.name}’s tokens are bound to a key only it holds (DPoP): a stolen token is useless on its own.</p>`
    : html`<label><input type="checkbox" name="require_dpop" value="yes"> Only accept tokens bound to a key ${client.name} holds (DPoP); choose this only if the app supports it</label>`
}
<label><input type="checkbox" name="remember" value="yes"> Remember this: let ${client.name} reconnect without asking, for the same or a smaller allowance</label>
<div class="actions">
<button type="submit" name="decision" value="approve" id="approve" ${usable.length === 0 ? 'disabled' : ''}>Approve</button>
<button type="submit" name="decision" value="deny" class="secondary" id="deny" formnovalidate>Deny</button>
</div>
</form>`;
  return layout(`Allow ${client.name}`, body, { signedInAs: view.signedInAs });
}
