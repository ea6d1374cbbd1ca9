import { formatMoney } from '@allowance/protocol';
import { walletSettings } from '@allowance/store';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { signIn, signUp } from '../accounts/accounts.js';
import { monthToDate } from '../dashboard/home-view.js';
import { readAmount } from '../dashboard/settings-forms.js';
import { SETTINGS_CHANGES } from '../dashboard/settings-routes.js';
import { updateWallet } from '../dashboard/wallet-changes.js';
import type { Form } from '../pages/form-body.js';
import { deleteCredential, saveCredential } from '../vault/provider-credentials.js';
import { readJson } from './json-body.js';
import type { OperatorDependencies } from './operator-dependencies.js';
import { invalidRequest, notFound, OperatorError } from './operator-errors.js';

const credentialBody = z.object({ baseURL: z.string(), apiKey: z.string() });
const testUserBody = z.object({
  email: z.string(),
  password: z.string(),
  providers: z.array(credentialBody.extend({ id: z.string() })).default([]),
});
const nextApprovalBody = z.object({
  client_id: z.string().min(1),
  approval: z.record(z.string(), z.unknown()),
});
const capBody = z.object({ amount: z.string().nullable() });
const priceBody = z.object({ input: z.string(), output: z.string() });
const timeZoneBody = z.object({ time_zone: z.string() });

/**
 * The wallet-wide operations of spec 8.2 on the test user's wallet: preparing the test user,
 * staging the next approval ([NAR-1] … [NAR-12] through the consent form's own reader), the
 * monthly cap and the month's spend ([MTR-34] [MTR-35]), prices ([MTR-6]), the time zone
 * ([MTR-4]) and provider credentials ([SEC-7] [SEC-8], [GW-13]). Each goes through the function
 * the dashboard form calls, with the validation that form has.
 */
export function walletOperations(dependencies: OperatorDependencies): Router {
  const { store, config } = dependencies;
  const router = new Router();
  const account = () => dependencies.testUser.accountId(store);

  /** Stores a credential as the key form does: the same rules on its base URL (spec SEC-7, SEC-8). */
  const storeCredential = async (accountId: string, providerId: string, baseUrl: string, apiKey: string) => {
    const saved = await saveCredential(
      store,
      dependencies.sealer,
      accountId,
      // The owner's private-network choice stays off, as an unticked box leaves it.
      { providerId, apiKey, baseUrl, privateNetwork: false },
      dependencies.now(),
    );
    if (!saved.ok) throw invalidRequest(`${providerId}: ${saved.message}`);
  };

  /** Submits one settings form and stores what it changes, as the settings page does. */
  const submitSettings = async (accountId: string, path: string, form: Form, status: 400 | 404 = 400) => {
    const change = SETTINGS_CHANGES[path];
    if (!change) throw new Error(`no settings form ${path}`);
    const reading = await change(dependencies, accountId, form);
    if (!reading.ok) {
      const details = reading.problemDetails?.length ? ` ${reading.problemDetails.join('; ')}` : '';
      throw new OperatorError(
        status,
        status === 404 ? 'not_found' : 'invalid_request',
        `${reading.problem}${details}`,
      );
    }
    await updateWallet(store, accountId, reading.value.changes, dependencies.now());
  };

  router.post('/test-user', async (context) => {
    const body = await readJson(context, testUserBody);
    const created = await signUp(store, {
      email: body.email,
      password: body.password,
      currency: config.currency,
      timeZone: config.timeZone,
      now: dependencies.now(),
    });
    let accountId: string;
    if (created.ok) accountId = created.account.id;
    else if (created.reason !== 'email_taken')
      throw invalidRequest(`The sign-up form refuses it: ${created.reason}.`);
    else {
      // An existing account is used as is, provided a browser could sign in to it as told.
      const existing = await signIn(store, body.email, body.password);
      if (!existing) throw new OperatorError(409, 'conflict', 'That account exists with another password.');
      accountId = existing.id;
    }
    dependencies.testUser.remember(body.email.trim().toLowerCase());
    for (const provider of body.providers) {
      await storeCredential(accountId, provider.id, provider.baseURL, provider.apiKey);
    }
    context.status = 204;
  });

  router.put('/next-approval', async (context) => {
    const body = await readJson(context, nextApprovalBody);
    await account();
    dependencies.nextApprovals.stage(body.client_id, body.approval);
    context.status = 204;
  });

  router.put('/wallet/cap', async (context) => {
    const { amount } = await readJson(context, capBody);
    const accountId = await account();
    if (amount === null) {
      await updateWallet(store, accountId, { monthlyCapMicros: null }, dependencies.now());
    } else {
      const reading = readAmount(new URLSearchParams({ amount }), 'amount', 'Monthly cap');
      if (!reading.ok) throw invalidRequest(reading.problem);
      await updateWallet(store, accountId, { monthlyCapMicros: reading.value }, dependencies.now());
    }
    context.status = 204;
  });

  router.get('/wallet/spend', async (context: Context) => {
    const accountId = await account();
    const timeZone = (await walletSettings(store, accountId))?.timeZone ?? config.timeZone;
    const month = await monthToDate(store, accountId, timeZone, dependencies.now());
    context.body = { month: formatMoney(month.spentMicros) };
  });

  router.put('/wallet/time-zone', async (context) => {
    const { time_zone } = await readJson(context, timeZoneBody);
    const accountId = await account();
    const previous = (await walletSettings(store, accountId))?.timeZone ?? config.timeZone;
    await submitSettings(accountId, '/settings/time-zone', new URLSearchParams({ time_zone }));
    context.body = { previous };
  });

  router.put('/prices/:provider/:model', async (context) => {
    const price = await readJson(context, priceBody);
    const accountId = await account();
    // The price form comes prefilled with the wallet currency.
    const currency = (await walletSettings(store, accountId))?.currency ?? config.currency;
    const { provider = '', model = '' } = context.params;
    await submitSettings(
      accountId,
      '/settings/prices',
      new URLSearchParams({ provider, model, currency, ...price }),
    );
    context.status = 204;
  });

  router.delete('/prices/:provider/:model', async (context) => {
    const accountId = await account();
    const { provider = '', model = '' } = context.params;
    await submitSettings(accountId, '/settings/prices/delete', new URLSearchParams({ provider, model }), 404);
    context.status = 204;
  });

  router.put('/credentials/:provider', async (context) => {
    const body = await readJson(context, credentialBody);
    await storeCredential(await account(), context.params.provider ?? '', body.baseURL, body.apiKey);
    context.status = 204;
  });

  router.delete('/credentials/:provider', async (context) => {
    if (!(await deleteCredential(store, await account(), context.params.provider ?? '')))
      throw notFound('The test user has no credential for that provider.');
    context.status = 204;
  });

  return router;
}
