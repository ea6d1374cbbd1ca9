import type { AnomalyPolicy, PriceTable } from '@allowance/protocol';
import { html, type SafeHtml } from '../pages/html.js';
import { anomalySection } from './anomaly-settings.js';
import { dashboardPage, type PageMessage } from './dashboard-layout.js';

/** Everything the settings page shows. */
export interface SettingsView {
  email: string;
  csrf: SafeHtml;
  message: PageMessage;
  timeZone: string;
  currency: string;
  /** Grants (not revoked) whose budgets are in the current currency, by app name. */
  budgetedApps: readonly string[];
  /** The shipped prices with the user's own over them. */
  effectivePrices: PriceTable;
  /** The user's own prices only. */
  overrides: PriceTable;
  exchangeRates: Readonly<Record<string, string>>;
  /** The thresholds that suspend a grant (spec SEC-4), and whether they are the owner's own. */
  anomaly: { policy: AnomalyPolicy; own: boolean };
}

const timeZones = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

function priceRows(view: SettingsView): SafeHtml[] {
  const rows: SafeHtml[] = [];
  for (const provider of Object.keys(view.effectivePrices).sort()) {
    const models = view.effectivePrices[provider] ?? {};
    for (const model of Object.keys(models).sort()) {
      const price = models[model];
      if (!price) continue;
      const own =
        Object.hasOwn(view.overrides, provider) && Object.hasOwn(view.overrides[provider] ?? {}, model);
      rows.push(html`<tr data-price="${provider}/${model}"><th scope="row">${provider} / ${model}</th><td>${price.currency}</td>
<td class="number">${price.input}</td><td class="number">${price.cached_input ?? price.input}</td><td class="number">${price.cache_write ?? price.input}</td><td class="number">${price.output}</td>
<td>${
        own
          ? html`yours <form method="post" action="/settings/prices/delete" class="inline">${view.csrf}<input type="hidden" name="provider" value="${provider}"><input type="hidden" name="model" value="${model}"><button class="secondary" type="submit" aria-label="Remove your price for ${provider} / ${model}">Remove</button></form>`
          : 'default'
      }</td></tr>`);
    }
  }
  return rows;
}

function ratesSection(view: SettingsView): SafeHtml {
  const rates = Object.entries(view.exchangeRates).sort(([a], [b]) => a.localeCompare(b));
  return html`<section id="exchange-rates" aria-labelledby="rates-heading"><h2 id="rates-heading">Exchange rates</h2>
<p class="muted">Optional. A price in another currency counts only when it has a rate into ${view.currency}; without one, that model is metered in tokens only, never as free.</p>
${
  rates.length > 0
    ? html`<table><thead><tr><th scope="col">Currency</th><th scope="col" class="number">${view.currency} per unit</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${rates.map(
        ([currency, rate]) =>
          html`<tr data-rate="${currency}"><th scope="row">${currency}</th><td class="number">${rate}</td><td><form method="post" action="/settings/exchange-rates/delete" class="inline">${view.csrf}<input type="hidden" name="currency" value="${currency}"><button class="secondary" type="submit" aria-label="Remove the ${currency} rate">Remove</button></form></td></tr>`,
      )}</tbody></table>`
    : html`<p>No exchange rates.</p>`
}
<form method="post" action="/settings/exchange-rates" id="exchange-rate-form">${view.csrf}
<label>Currency <input type="text" name="currency" size="4" maxlength="3" required placeholder="USD"></label>
<label>${view.currency} for one unit of it <input type="text" inputmode="decimal" name="rate" size="10" required placeholder="0.92"></label>
<div class="actions"><button type="submit">Save rate</button></div></form></section>`;
}

/** Time zone, currency, prices and exchange rates of the wallet. */
export function settingsPage(view: SettingsView): string {
  return dashboardPage({
    title: 'Settings',
    section: 'settings',
    email: view.email,
    csrf: view.csrf,
    message: view.message,
    body: html`<h1>Settings</h1>
<section id="time-zone" aria-labelledby="time-zone-heading"><h2 id="time-zone-heading">Time zone</h2>
<p class="muted">Days, weeks, months and years of every limit, and the days of your spend charts, are counted in this zone.</p>
<form method="post" action="/settings/time-zone" id="time-zone-form">${view.csrf}
<label for="time-zone-input">Time zone (IANA name)</label><input id="time-zone-input" type="text" name="time_zone" list="time-zones" value="${view.timeZone}" required>
<datalist id="time-zones">${timeZones.map((zone) => html`<option value="${zone}"></option>`)}</datalist>
<div class="actions"><button type="submit">Save time zone</button></div></form></section>
<section id="currency" aria-labelledby="currency-heading"><h2 id="currency-heading">Currency</h2>
<p class="muted">Every budget and cap is in this currency.${
      view.budgetedApps.length > 0
        ? html` It cannot change while these apps have budgets in it: ${view.budgetedApps.join(', ')}. Revoke them first.`
        : ''
    }</p>
<form method="post" action="/settings/currency" id="currency-form">${view.csrf}
<label for="currency-input">Currency (ISO 4217 code)</label><input id="currency-input" type="text" name="currency" value="${view.currency}" size="4" maxlength="3" required>
<div class="actions"><button type="submit">Save currency</button></div></form></section>
<section id="prices" aria-labelledby="prices-heading"><h2 id="prices-heading">Prices</h2>
<p class="muted">Per million tokens. The wallet ships with the providers’ published prices; yours replace them model by model. A model with no price is metered in tokens only.</p>
<div class="table-scroll"><table id="price-table"><caption class="muted">The prices in use</caption>
<thead><tr><th scope="col">Provider / model</th><th scope="col">Currency</th><th scope="col" class="number">Input</th><th scope="col" class="number">Cached input</th><th scope="col" class="number">Cache write</th><th scope="col" class="number">Output</th><th scope="col">Source</th></tr></thead>
<tbody>${priceRows(view)}</tbody></table></div>
<h3>Set a price</h3>
<form method="post" action="/settings/prices" id="price-form">${view.csrf}
<label>Provider id <input type="text" name="provider" required placeholder="openai"></label>
<label>Model id <input type="text" name="model" required placeholder="gpt-4.1-mini"></label>
<label>Currency <input type="text" name="currency" size="4" maxlength="3" required value="${view.currency}"></label>
<label>Input <input type="text" inputmode="decimal" name="input" size="10" required></label>
<label>Cached input (empty: as input) <input type="text" inputmode="decimal" name="cached_input" size="10"></label>
<label>Cache write (empty: as input) <input type="text" inputmode="decimal" name="cache_write" size="10"></label>
<label>Output <input type="text" inputmode="decimal" name="output" size="10" required></label>
<div class="actions"><button type="submit">Save price</button></div></form></section>
${ratesSection(view)}
${anomalySection({ ...view.anomaly, currency: view.currency }, view.csrf)}`,
  });
}
