import type { LedgerPage } from '@allowance/store';
import { html, type SafeHtml } from '../pages/html.js';
import { activityLink, cursorOf } from './activity-query.js';
import { callsTable } from './calls-table.js';
import type { ClientNames } from './client-names.js';
import { dashboardPage } from './dashboard-layout.js';

/** Everything the activity log shows. */
export interface ActivityView {
  email: string;
  csrf: SafeHtml;
  currency: string;
  timeZone: string;
  filters: { app: string | undefined; model: string | undefined };
  /** The apps to filter by: client ids of the account's grants. */
  apps: readonly string[];
  /** Models to suggest in the model filter. */
  models: readonly string[];
  appName: ClientNames;
  page: LedgerPage;
}

/** Every metered call, newest first, filterable by app and model, 50 to a page. */
export function activityPage(view: ActivityView): string {
  const { filters, page } = view;
  const newest = page.rows[0];
  const oldest = page.rows.at(-1);
  const apps = [...new Set([...view.apps, ...(filters.app ? [filters.app] : [])])];
  const filterForm = html`<form method="get" action="/activity" class="filters" id="activity-filters" role="search">
<label>App <select name="app"><option value="">All apps</option>${apps.map(
    (app) =>
      html`<option value="${app}"${app === filters.app ? html` selected` : ''}>${view.appName(app)}</option>`,
  )}</select></label>
<label>Model <input type="text" name="model" list="known-models" value="${filters.model ?? ''}" placeholder="All models"></label>
<datalist id="known-models">${view.models.map((model) => html`<option value="${model}"></option>`)}</datalist>
<div class="actions"><button type="submit">Filter</button>${
    filters.app || filters.model ? html` <a href="/activity">Clear filters</a>` : ''
  }</div></form>`;
  const pager = html`<nav class="pager" aria-label="Pages of the activity log">${
    page.hasNewer && newest
      ? html`<a rel="prev" id="newer" href="${activityLink(filters, { after: cursorOf(newest) })}">← Newer calls</a>`
      : html`<span></span>`
  }${
    page.hasOlder && oldest
      ? html`<a rel="next" id="older" href="${activityLink(filters, { before: cursorOf(oldest) })}">Older calls →</a>`
      : html`<span></span>`
  }</nav>`;
  return dashboardPage({
    title: 'Activity',
    section: 'activity',
    email: view.email,
    csrf: view.csrf,
    body: html`<h1>Activity</h1>
<section aria-labelledby="activity-heading"><h2 id="activity-heading">Every metered call</h2>
<p class="muted">Newest first. Times are in ${view.timeZone}. The wallet keeps what each call cost and how it ended, never what was said.</p>
${filterForm}
${
  page.rows.length > 0
    ? callsTable(page.rows, {
        caption: `${page.rows.length} calls${filters.app ? ` of ${view.appName(filters.app)}` : ''}${filters.model ? ` to ${filters.model}` : ''}`,
        currency: view.currency,
        timeZone: view.timeZone,
        appName: view.appName,
      })
    : html`<p id="no-calls">No calls${filters.app || filters.model ? ' match these filters' : ' yet'}.</p>`
}
${pager}
</section>`,
  });
}
