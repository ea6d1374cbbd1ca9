import { formatMoney } from '@allowance/protocol';
import { html, type SafeHtml } from '../pages/html.js';
import { CHART_COLOURS } from './dashboard-styles.js';
import type { SpendSeries } from './spend-series.js';

/** What one stacked bar chart of spend per day draws. */
export interface SpendChartView {
  /** Unique on the page: ids of the chart's title, description and tables derive from it. */
  id: string;
  title: string;
  /** What a series is called in the totals table header: "App", "Model". */
  seriesHeading: string;
  dates: readonly string[];
  series: readonly SpendSeries[];
  currency: string;
}

const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 64;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 28;

const round = (value: number) => Math.round(value * 100) / 100;

/** At most {@link CHART_COLOURS} series get a colour of their own; the rest are drawn as one "other". */
function drawnSeries(series: readonly SpendSeries[]): Array<SpendSeries & { colour: string }> {
  const coloured = series.length > CHART_COLOURS ? series.slice(0, CHART_COLOURS - 1) : series;
  const drawn = coloured.map((entry, index) => ({ ...entry, colour: `series-${index}` }));
  const rest = series.slice(coloured.length);
  if (rest.length > 0) {
    drawn.push({
      key: '',
      label: `${rest.length} others`,
      perDay:
        rest[0]?.perDay.map((_, day) => rest.reduce((sum, entry) => sum + (entry.perDay[day] ?? 0), 0)) ?? [],
      totalMicros: rest.reduce((sum, entry) => sum + entry.totalMicros, 0),
      calls: rest.reduce((sum, entry) => sum + entry.calls, 0),
      colour: 'series-other',
    });
  }
  return drawn;
}

function bars(
  view: SpendChartView,
  drawn: ReturnType<typeof drawnSeries>,
): { marks: SafeHtml[]; peak: number } {
  const dayTotals = view.dates.map((_, day) =>
    drawn.reduce((sum, entry) => sum + (entry.perDay[day] ?? 0), 0),
  );
  const peak = Math.max(0, ...dayTotals);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, view.dates.length);
  const marks: SafeHtml[] = [];
  view.dates.forEach((date, day) => {
    let base = HEIGHT - BOTTOM;
    for (const entry of drawn) {
      const micros = entry.perDay[day] ?? 0;
      if (micros === 0 || peak === 0) continue;
      const height = (micros / peak) * plotHeight;
      base -= height;
      marks.push(
        html`<rect class="${entry.colour}" x="${round(LEFT + day * slot + slot * 0.15)}" y="${round(base)}" width="${round(slot * 0.7)}" height="${round(height)}"><title>${date} · ${entry.label}: ${formatMoney(micros)} ${view.currency}</title></rect>`,
      );
    }
    if (day % 5 === 0 || day === view.dates.length - 1) {
      marks.push(
        html`<text x="${round(LEFT + (day + 0.5) * slot)}" y="${HEIGHT - 8}" text-anchor="middle">${date.slice(5)}</text>`,
      );
    }
  });
  return { marks, peak };
}

/**
 * Spend per day as stacked bars in inline SVG (classes for colours, no style attribute, no
 * script), with a text alternative: the SVG's title and description, a legend, and a table of
 * the totals per series that holds the exact amounts.
 */
export function spendChart(view: SpendChartView): SafeHtml {
  const drawn = drawnSeries(view.series);
  const { marks, peak } = bars(view, drawn);
  const total = view.series.reduce((sum, entry) => sum + entry.totalMicros, 0);
  const calls = view.series.reduce((sum, entry) => sum + entry.calls, 0);
  const largest = view.series
    .slice(0, 3)
    .map((entry) => `${entry.label} ${formatMoney(entry.totalMicros)}`)
    .join(', ');
  const description = `${formatMoney(total)} ${view.currency} over ${view.dates.length} days from ${view.dates[0] ?? ''} to ${view.dates.at(-1) ?? ''}; the most on one day was ${formatMoney(peak)}${largest ? `; largest: ${largest}` : ''}.`;
  return html`<figure class="chart" id="${view.id}">
<figcaption id="${view.id}-caption">${view.title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${view.id}-title ${view.id}-description" xmlns="http://www.w3.org/2000/svg">
<title id="${view.id}-title">${view.title}</title>
<desc id="${view.id}-description">${description}</desc>
<line class="axis" x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH - RIGHT}" y2="${HEIGHT - BOTTOM}"></line>
<line class="axis" x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${HEIGHT - BOTTOM}"></line>
<text x="${LEFT - 6}" y="${HEIGHT - BOTTOM}" text-anchor="end">0</text>
<text x="${LEFT - 6}" y="${TOP + 8}" text-anchor="end">${formatMoney(peak)}</text>
${marks}
</svg>
${
  drawn.length > 0
    ? html`<ul class="legend" aria-label="Legend">${drawn.map(
        (entry) =>
          html`<li><svg width="12" height="12" aria-hidden="true"><rect class="${entry.colour}" width="12" height="12"></rect></svg>${entry.label}</li>`,
      )}</ul>`
    : html`<p class="muted">No calls in these days.</p>`
}
<table class="totals" id="${view.id}-totals"><caption class="muted">Totals for these ${view.dates.length} days</caption>
<thead><tr><th scope="col">${view.seriesHeading}</th><th scope="col" class="number">Calls</th><th scope="col" class="number">Spent (${view.currency})</th></tr></thead>
<tbody>${view.series.map(
    (entry) =>
      html`<tr data-key="${entry.key}"><th scope="row">${entry.label}</th><td class="number calls">${entry.calls}</td><td class="number amount">${formatMoney(entry.totalMicros)}</td></tr>`,
  )}</tbody>
<tfoot><tr><th scope="row">Total</th><td class="number calls">${calls}</td><td class="number amount">${formatMoney(total)}</td></tr></tfoot>
</table>
</figure>`;
}
