import { describeAnomalyPolicy, periodWindow } from '@allowance/protocol';
import { ledgerPage, ledgerSpendBetween, listGrants, type Store, walletSettings } from '@allowance/store';
import type { Context } from 'koa';
import { homePage } from '../home/home-page.js';
import { csrfField } from '../pages/csrf.js';
import { listCredentials } from '../vault/provider-credentials.js';
import { effectiveAnomalyPolicy } from './anomaly-settings.js';
import { clientNames } from './client-names.js';
import type { DashboardDependencies } from './dashboard-dependencies.js';
import type { PageMessage } from './dashboard-layout.js';
import { grantState, grantUsage } from './grant-usage.js';
import type { SignedIn } from './session-guard.js';
import { civilDate } from './wallet-time.js';

/** How many of a grant's latest calls its card lists. */
const LAST_CALLS = 5;

/**
 * Renders the signed-in home page: this month's spend against the wallet-wide cap, every
 * connected app with its limits, use and last calls, and the provider keys. An action renders
 * it with what it did in `message`, then sets its own status when it was refused.
 */
export async function renderHome(
  context: Context,
  dependencies: DashboardDependencies,
  session: SignedIn,
  message: PageMessage = {},
): Promise<void> {
  const { store, config } = dependencies;
  const now = dependencies.now();
  const [settings, credentials, grants] = await Promise.all([
    walletSettings(store, session.accountId),
    listCredentials(store, session.accountId),
    listGrants(store, session.accountId),
  ]);
  const timeZone = settings?.timeZone ?? config.timeZone;
  const currency = settings?.currency ?? config.currency;
  // Revoked grants are history: a row in the table, no card, no counters to read.
  const current = grants.filter((grant) => grant.status !== 'revoked');
  const [names, usage, lastCalls, month] = await Promise.all([
    clientNames(
      dependencies.provider,
      grants.map((grant) => grant.clientId),
    ),
    grantUsage(store, current, timeZone, now),
    Promise.all(
      current.map((grant) => ledgerPage(store, session.accountId, { grantId: grant.id, size: LAST_CALLS })),
    ),
    monthToDate(store, session.accountId, timeZone, now),
  ]);
  const anomaly = describeAnomalyPolicy(
    effectiveAnomalyPolicy(config.anomalyPolicy, settings?.anomaly),
    currency,
  );
  context.type = 'html';
  context.body = homePage({
    email: session.email,
    csrf: csrfField(context),
    message,
    currency,
    timeZone,
    credentials,
    grants: grants.map((grant) => ({
      grant,
      clientName: names(grant.clientId),
      state: grantState(grant, now),
    })),
    cards: current.map((grant, index) => ({
      grant,
      clientName: names(grant.clientId),
      state: grantState(grant, now),
      usage: usage.get(grant.id) ?? [],
      lastCalls: lastCalls[index]?.rows ?? [],
      anomaly,
    })),
    month,
    monthlyCapMicros: settings?.monthlyCapMicros ?? null,
    latestExpiryDate: civilDate(now + config.maxGrantSeconds * 1000, timeZone),
  });
}

/**
 * This calendar month in the wallet's time zone, and what every app of the account spent in it
 * (the ledger's sum), as the home page shows it and the operator interface reports it.
 */
export async function monthToDate(
  store: Store,
  accountId: string,
  timeZone: string,
  now: number,
): Promise<{ label: string; spentMicros: number }> {
  const month = periodWindow('month', new Date(now), timeZone);
  const spentMicros = await ledgerSpendBetween(
    store,
    accountId,
    month.start?.getTime() ?? 0,
    month.end?.getTime() ?? now,
  );
  return { label: month.key.slice('month:'.length), spentMicros };
}
