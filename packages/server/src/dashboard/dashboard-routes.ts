import { qualifiedProvider } from '@allowance/protocol';
import { dailyLedgerTotals, ledgerPage, listGrants, walletSettings } from '@allowance/store';
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfField } from '../pages/csrf.js';
import { activityPage } from './activity-page.js';
import { ACTIVITY_PAGE_SIZE, readActivityQuery } from './activity-query.js';
import { clientNames } from './client-names.js';
import { confirmationRoutes } from './confirmation-routes.js';
import type { DashboardDependencies } from './dashboard-dependencies.js';
import { grantRoutes } from './grant-routes.js';
import { pageSession, type SignedIn } from './session-guard.js';
import { settingsRoutes } from './settings-routes.js';
import { spendCsv } from './spend-csv.js';
import { spendPage } from './spend-page.js';
import { spendBreakdown } from './spend-series.js';
import { civilDate, lastDays } from './wallet-time.js';

/** How many days the spend page and its CSV cover, today included. */
export const SPEND_DAYS = 30;

async function walletOf(dependencies: DashboardDependencies, session: SignedIn) {
  const settings = await walletSettings(dependencies.store, session.accountId);
  return {
    timeZone: settings?.timeZone ?? dependencies.config.timeZone,
    currency: settings?.currency ?? dependencies.config.currency,
  };
}

/** The last 30 days of the ledger summed per day, app and model, in the wallet's time zone. */
async function recentSpend(dependencies: DashboardDependencies, session: SignedIn, timeZone: string) {
  const range = lastDays(dependencies.now(), timeZone, SPEND_DAYS);
  const totals = await dailyLedgerTotals(dependencies.store, session.accountId, range.boundaries);
  const names = await clientNames(
    dependencies.provider,
    totals.map((total) => total.clientId),
  );
  return { range, totals, names };
}

/** `GET /spend`, `GET /spend.csv`, `GET /activity`. */
function readingRoutes(dependencies: DashboardDependencies): Router {
  const router = new Router();
  const { store } = dependencies;

  router.get('/spend', async (context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (!session) return;
    const { timeZone, currency } = await walletOf(dependencies, session);
    const { range, totals, names } = await recentSpend(dependencies, session, timeZone);
    context.type = 'html';
    context.body = spendPage({
      email: session.email,
      csrf: csrfField(context),
      currency,
      timeZone,
      breakdown: spendBreakdown(range.dates, totals, names),
    });
  });

  router.get('/spend.csv', async (context: Context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (!session) return;
    const { timeZone, currency } = await walletOf(dependencies, session);
    const { range, totals, names } = await recentSpend(dependencies, session, timeZone);
    context.set(
      'Content-Disposition',
      `attachment; filename="allowance-spend-${civilDate(dependencies.now(), timeZone)}.csv"`,
    );
    context.set('Cache-Control', 'no-store');
    context.set('X-Content-Type-Options', 'nosniff');
    context.type = 'text/csv; charset=utf-8';
    context.body = spendCsv(range.dates, totals, names, currency);
  });

  router.get('/activity', async (context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (!session) return;
    const { timeZone, currency } = await walletOf(dependencies, session);
    const query = readActivityQuery(context.query);
    const [page, grants] = await Promise.all([
      ledgerPage(store, session.accountId, {
        clientId: query.app,
        model: query.model,
        ...(query.cursor && { cursor: query.cursor }),
        size: ACTIVITY_PAGE_SIZE,
      }),
      listGrants(store, session.accountId),
    ]);
    const apps = [...new Set(grants.map((grant) => grant.clientId))];
    const models = new Set<string>();
    for (const grant of grants) {
      for (const model of grant.details.models) {
        const provider = qualifiedProvider(model);
        models.add(provider ? model.slice(provider.length + 1) : model);
      }
    }
    const names = await clientNames(dependencies.provider, [
      ...apps,
      ...page.rows.map((row) => row.client_id),
    ]);
    context.type = 'html';
    context.body = activityPage({
      email: session.email,
      csrf: csrfField(context),
      currency,
      timeZone,
      filters: { app: query.app, model: query.model },
      apps,
      models: [...models].sort(),
      appName: names,
      page,
    });
  });

  return router;
}

/**
 * Every dashboard route besides the home page and provider keys (in `home/`): spend, its CSV,
 * the activity log, settings, the monthly cap, the actions on a grant, and call confirmations. Pages need a live
 * session (else a redirect to /signin); forms also need this browser's CSRF token.
 */
export function dashboardRouters(dependencies: DashboardDependencies): Router[] {
  return [
    readingRoutes(dependencies),
    grantRoutes(dependencies),
    settingsRoutes(dependencies),
    confirmationRoutes(dependencies),
  ];
}
