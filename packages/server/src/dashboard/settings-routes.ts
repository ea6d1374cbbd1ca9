import { listGrants, walletSettings } from '@allowance/store';
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfField } from '../pages/csrf.js';
import type { Form } from '../pages/form-body.js';
import { effectiveAnomalyPolicy, readAnomalyPolicy } from './anomaly-settings.js';
import { clientNames } from './client-names.js';
import type { DashboardDependencies } from './dashboard-dependencies.js';
import type { PageMessage } from './dashboard-layout.js';
import { renderHome } from './home-view.js';
import { formSession, pageSession, type SignedIn } from './session-guard.js';
import {
  type Reading,
  readAmount,
  readCurrency,
  readTimeZone,
  storedExchangeRates,
  storedPriceTable,
  withExchangeRate,
  withoutExchangeRate,
  withoutPriceOverride,
  withPriceOverride,
} from './settings-forms.js';
import { settingsPage } from './settings-page.js';
import { changeWalletCurrency, updateWallet, type WalletChanges, walletOverrides } from './wallet-changes.js';

/** Renders the settings page for the signed-in user, with what the last action did. */
async function renderSettings(
  context: Context,
  dependencies: DashboardDependencies,
  session: SignedIn,
  message: PageMessage = {},
): Promise<void> {
  const { store, config } = dependencies;
  const [settings, overrides, grants] = await Promise.all([
    walletSettings(store, session.accountId),
    walletOverrides(store, session.accountId),
    listGrants(store, session.accountId),
  ]);
  const budgeted = grants.filter((grant) => grant.status !== 'revoked' && grant.details.budget !== undefined);
  const names = await clientNames(
    dependencies.provider,
    budgeted.map((grant) => grant.clientId),
  );
  context.type = 'html';
  context.body = settingsPage({
    email: session.email,
    csrf: csrfField(context),
    message,
    timeZone: settings?.timeZone ?? config.timeZone,
    currency: settings?.currency ?? config.currency,
    budgetedApps: [...new Set(budgeted.map((grant) => names(grant.clientId)))],
    effectivePrices: settings?.prices ?? {},
    overrides: storedPriceTable(overrides?.priceOverrides),
    exchangeRates: storedExchangeRates(overrides?.exchangeRates),
    anomaly: {
      policy: effectiveAnomalyPolicy(config.anomalyPolicy, settings?.anomaly),
      own: Object.keys(settings?.anomaly ?? {}).length > 0,
    },
  });
}

type Change = (
  dependencies: DashboardDependencies,
  accountId: string,
  form: Form,
) => Promise<Reading<{ changes: WalletChanges; notice: string }>>;

const stored = async (dependencies: DashboardDependencies, accountId: string) =>
  (await walletOverrides(dependencies.store, accountId)) ?? { priceOverrides: {}, exchangeRates: {} };

/**
 * Each settings form: what it changes, read and validated, or why it changes nothing. The
 * operator interface (test mode) submits the same forms through these.
 */
export const SETTINGS_CHANGES: Readonly<Record<string, Change>> = {
  '/settings/time-zone': async (_dependencies, _accountId, form) => {
    const timeZone = readTimeZone(form);
    return timeZone.ok
      ? {
          ok: true,
          value: { changes: { timeZone: timeZone.value }, notice: `Time zone set to ${timeZone.value}.` },
        }
      : timeZone;
  },
  '/settings/prices': async (dependencies, accountId, form) => {
    const table = withPriceOverride((await stored(dependencies, accountId)).priceOverrides, form);
    return table.ok
      ? { ok: true, value: { changes: { priceOverrides: table.value }, notice: 'Price saved.' } }
      : table;
  },
  '/settings/prices/delete': async (dependencies, accountId, form) => {
    const table = withoutPriceOverride(
      (await stored(dependencies, accountId)).priceOverrides,
      form.get('provider') ?? '',
      form.get('model') ?? '',
    );
    return table.ok
      ? { ok: true, value: { changes: { priceOverrides: table.value }, notice: 'Your price was removed.' } }
      : table;
  },
  '/settings/exchange-rates': async (dependencies, accountId, form) => {
    const currency =
      (await walletSettings(dependencies.store, accountId))?.currency ?? dependencies.config.currency;
    const rates = withExchangeRate((await stored(dependencies, accountId)).exchangeRates, form, currency);
    return rates.ok
      ? { ok: true, value: { changes: { exchangeRates: rates.value }, notice: 'Exchange rate saved.' } }
      : rates;
  },
  '/settings/anomaly': async (_dependencies, _accountId, form) => {
    const policy = readAnomalyPolicy(form);
    return policy.ok
      ? {
          ok: true,
          value: {
            changes: { anomaly: policy.value },
            notice: 'Saved. The new thresholds apply from the next call.',
          },
        }
      : policy;
  },
  '/settings/anomaly/reset': async () => ({
    ok: true,
    value: { changes: { anomaly: null }, notice: 'The wallet’s default thresholds apply again.' },
  }),
  '/settings/exchange-rates/delete': async (dependencies, accountId, form) => {
    const rates = withoutExchangeRate(
      (await stored(dependencies, accountId)).exchangeRates,
      form.get('currency') ?? '',
    );
    return rates.ok
      ? { ok: true, value: { changes: { exchangeRates: rates.value }, notice: 'Exchange rate removed.' } }
      : rates;
  },
};

/**
 * The settings page (`GET /settings`) and its forms, and the wallet-wide monthly cap
 * (`POST /monthly-cap`, `POST /monthly-cap/clear`, shown on the home page). Every form needs a
 * live session and this browser's CSRF token, and changes only the session account's wallet.
 */
export function settingsRoutes(dependencies: DashboardDependencies): Router {
  const { store } = dependencies;
  const router = new Router();

  router.get('/settings', async (context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (session) await renderSettings(context, dependencies, session);
  });

  for (const [path, change] of Object.entries(SETTINGS_CHANGES)) {
    router.post(path, async (context) => {
      const allowed = await formSession(context, dependencies.sessions);
      if (!allowed) return;
      const { session, form } = allowed;
      const reading = await change(dependencies, session.accountId, form);
      if (reading.ok) await updateWallet(store, session.accountId, reading.value.changes, dependencies.now());
      await renderSettings(
        context,
        dependencies,
        session,
        reading.ok ? { notice: reading.value.notice } : reading,
      );
      if (!reading.ok) context.status = 400;
    });
  }

  // Amounts in budgets and the cap are in the wallet currency: refuse to change their meaning.
  router.post('/settings/currency', async (context) => {
    const allowed = await formSession(context, dependencies.sessions);
    if (!allowed) return;
    const { session, form } = allowed;
    const currency = readCurrency(form);
    const outcome = currency.ok
      ? await changeWalletCurrency(store, session.accountId, currency.value, dependencies.now())
      : undefined;
    let message: PageMessage;
    if (!currency.ok) message = currency;
    else if (outcome && !outcome.ok) {
      message = {
        problem: `The currency was not changed: ${outcome.budgetedGrantIds.length} connected app(s) have budgets in the current currency, and their amounts would change meaning. Revoke them first, or keep the currency.`,
      };
    } else
      message = {
        notice: `Currency set to ${currency.value}. Your monthly cap, if any, now counts in ${currency.value}.`,
      };
    await renderSettings(context, dependencies, session, message);
    if (!currency.ok) context.status = 400;
    else if (outcome && !outcome.ok) context.status = 409;
  });

  router.post('/monthly-cap', async (context) => {
    const allowed = await formSession(context, dependencies.sessions);
    if (!allowed) return;
    const { session, form } = allowed;
    const amount = readAmount(form, 'amount', 'Monthly cap');
    if (amount.ok)
      await updateWallet(store, session.accountId, { monthlyCapMicros: amount.value }, dependencies.now());
    await renderHome(
      context,
      dependencies,
      session,
      amount.ok ? { notice: 'Monthly cap saved. Every app’s calls stop when it is reached.' } : amount,
    );
    if (!amount.ok) context.status = 400;
  });

  router.post('/monthly-cap/clear', async (context) => {
    const allowed = await formSession(context, dependencies.sessions);
    if (!allowed) return;
    await updateWallet(store, allowed.session.accountId, { monthlyCapMicros: null }, dependencies.now());
    await renderHome(context, dependencies, allowed.session, { notice: 'Monthly cap removed.' });
  });

  return router;
}
