/** How many colours the charts cycle through; the series after them share the "other" colour. */
export const CHART_COLOURS = 8;

/**
 * The dashboard's additions to the wallet stylesheet, served with it from /assets/wallet.css.
 * Charts are SVG coloured by class, never by a style attribute, so the CSP needs no inline style.
 */
export const DASHBOARD_CSS = `
main:has(> .dashboard) { max-width: 72rem; }
nav.dashboard-nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; padding: 0; margin: 0 0 1.25rem; }
nav.dashboard-nav a { color: var(--accent); }
nav.dashboard-nav a[aria-current=page] { color: var(--ink); font-weight: 700; text-decoration: none; }
.dashboard h3 { font-size: 1.15rem; margin: 0 0 .5rem; }
.dashboard h4 { font-size: 1rem; margin: 1rem 0 .5rem; }
.number, td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.table-scroll { overflow-x: auto; }
table.calls td { white-space: nowrap; }
table.calls th, table.calls td { padding: .3rem .4rem; font-size: .9rem; }
.status { font-weight: 600; }
.status-active { color: var(--ok); }
.status-suspended { color: #8a5a00; }
.status-revoked, .status-expired { color: var(--bad); }
dl.allowance { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 1rem; }
dl.allowance dt { font-weight: 600; }
dl.allowance dd { margin: 0; }
meter.usage { width: 14rem; height: 1.1rem; vertical-align: middle; }
ul.usage { list-style: none; padding: 0; margin: 0 0 1rem; }
ul.usage li { margin: .25rem 0; }
form.inline { display: inline-flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .25rem .5rem .25rem 0; }
form.inline label { margin: 0; }
.grant-actions { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin: .75rem 0; }
details.edit { margin: .75rem 0; }
details.edit summary { cursor: pointer; color: var(--accent); }
.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; }
.pager { display: flex; justify-content: space-between; margin-top: 1rem; }
figure.chart { margin: 0 0 1.5rem; }
figure.chart > svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { font-weight: 600; margin-bottom: .5rem; }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.chart text { fill: var(--muted); font-size: 11px; }
ul.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: .5rem 0; }
ul.legend svg { vertical-align: middle; margin-right: .3rem; }
.series-0 { fill: #2853c9; } .series-1 { fill: #d9480f; } .series-2 { fill: #2b8a3e; } .series-3 { fill: #862e9c; }
.series-4 { fill: #c2255c; } .series-5 { fill: #0b7285; } .series-6 { fill: #e67700; } .series-7 { fill: #5c940d; }
.series-other { fill: #868e96; }
`;
