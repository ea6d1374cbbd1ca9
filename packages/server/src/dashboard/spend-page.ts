import { formatMoney } from '@allowance/protocol';
import { html, type SafeHtml } from '../pages/html.js';
import { dashboardPage } from './dashboard-layout.js';
import { spendChart } from './spend-chart.js';
import type { SpendBreakdown } from './spend-series.js';

/** Everything the spend page shows. */
export interface SpendView {
  email: string;
  csrf: SafeHtml;
  currency: string;
  timeZone: string;
  breakdown: SpendBreakdown;
}

/** Spend per day over the last 30 days, by app and by model, with totals and a CSV export. */
export function spendPage(view: SpendView): string {
  const { breakdown, currency } = view;
  const first = breakdown.dates[0] ?? '';
  const last = breakdown.dates.at(-1) ?? '';
  const days = breakdown.dates.map(
    (date, day) =>
      html`<tr data-day="${date}"><th scope="row">${date}</th><td class="number">${breakdown.dayCalls[day] ?? 0}</td><td class="number">${formatMoney(breakdown.dayTotals[day] ?? 0)}</td></tr>`,
  );
  return dashboardPage({
    title: 'Spend',
    section: 'spend',
    email: view.email,
    csrf: view.csrf,
    body: html`<h1>Spend over the last ${breakdown.dates.length} days</h1>
<section aria-labelledby="spend-summary-heading"><h2 id="spend-summary-heading">From ${first} to ${last}</h2>
<p>All apps together made <strong id="spend-calls">${breakdown.calls}</strong> calls costing <strong id="spend-total">${formatMoney(breakdown.totalMicros)}</strong> ${currency}. Days are calendar days in ${view.timeZone}.</p>
<p><a href="/spend.csv" download>Download as CSV</a> <span class="muted">(one row per day, app and model)</span></p>
</section>
<section aria-labelledby="by-app-heading"><h2 id="by-app-heading">By app</h2>
${spendChart({ id: 'spend-by-app', title: 'Spend per day by app', seriesHeading: 'App', dates: breakdown.dates, series: breakdown.byApp, currency })}
</section>
<section aria-labelledby="by-model-heading"><h2 id="by-model-heading">By model</h2>
${spendChart({ id: 'spend-by-model', title: 'Spend per day by model', seriesHeading: 'Model', dates: breakdown.dates, series: breakdown.byModel, currency })}
</section>
<section aria-labelledby="per-day-heading"><h2 id="per-day-heading">Day by day</h2>
<details><summary>Spend per day as a table</summary>
<table id="spend-per-day"><thead><tr><th scope="col">Day</th><th scope="col" class="number">Calls</th><th scope="col" class="number">Spent (${currency})</th></tr></thead>
<tbody>${days}</tbody></table></details>
</section>`,
  });
}
