import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member } from '../wire/http.js';
import { decodeJws } from '../wire/suite-app.js';

const requested = {
  type: 'ai_allowance',
  providers: ['openai', 'anthropic'],
  models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
  budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'day' }] },
  scopes: ['document:read', 'document:write'],
};

/** Narrowing on consent (Part 2 §2.7): the server, not the browser, keeps the approval a subset. */
export const narrowingModule = defineModule({
  name: 'narrowing',
  plan: 'core',
  kind: 'driver',
  summary: 'A narrowed approval is what the tokens carry; a broader one is refused',
  checks: {
    'narrowed-reflected': {
      requirements: ['NAR-12', 'NAR-3', 'NAR-4', 'NAR-8', 'MTR-2'],
      summary:
        'fewer models, a lower budget ("2" shown as "2.00") and fewer scopes appear exactly in the token response and token',
    },
    'broader-budget-refused': {
      requirements: ['NAR-11', 'NAR-4'],
      summary:
        'an approval raising a day, week, month, year or total limit gets 400 and the consent page again, and no code; the request stays pending',
    },
    'extra-model-refused': {
      requirements: ['NAR-11', 'NAR-3'],
      summary: 'an approval adding a model that was not requested gets 400 and no code',
    },
    'token-caps-kept': {
      requirements: ['NAR-5', 'NAR-11'],
      summary: 'raising a requested token cap or token limit is refused with 400 and no code',
    },
    'rate-kept': {
      requirements: ['NAR-6', 'NAR-11'],
      summary: 'raising requests_per_minute is refused with 400 and no code',
    },
    'confirm-kept': {
      requirements: ['NAR-7', 'NAR-11'],
      summary:
        'raising confirm_above (0.50 to 5.00, and 5.00 to 10.00) is refused with 400 and no code; lowering it (10.00 to 5.00) is approved',
    },
    'retention-kept': {
      requirements: ['NAR-9', 'NAR-11'],
      summary: 'turning a requested retention none into provider_default is refused',
    },
    'expiry-kept': {
      requirements: ['NAR-10', 'NAR-11'],
      summary: 'an expiry later than requested, or beyond the wallet maximum, is refused',
    },
    'unavailable-provider-refused': {
      requirements: ['NAR-2'],
      summary: 'an approval with a provider not requested is refused',
    },
  },
  async run({ check, app, clients, driver }) {
    const client = clients.app;
    const open = async () => {
      const { parameters, verifier } = app.parameters(client, { details: requested });
      const page = await driver.open(app.authorizationUrl(parameters));
      expect(page.kind === 'page', 'no consent page was shown');
      return verifier;
    };
    const refused = async (approval: Record<string, unknown>) => {
      const outcome = await driver.approve(approval);
      expect(
        !(outcome.kind === 'redirect' && outcome.location.searchParams.get('code')),
        'a code was issued for a broader approval',
      );
      expect(
        outcome.kind === 'page' && outcome.status === 400,
        `expected 400 and the consent page, got ${outcome.kind === 'page' ? outcome.status : 'a redirect'}`,
      );
    };
    await check('narrowed-reflected', async () => {
      if (!driver.canNarrow) skip('this driver cannot submit a different approval');
      const verifier = await open();
      const outcome = await driver.approve({
        ...requested,
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '2', period: 'day' }] },
        scopes: ['document:read'],
      });
      const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
      expect(code, 'the narrowed approval did not redirect with a code');
      const response = await app.exchange(client, code, verifier);
      const approved = member(response.json, 'authorization_details', 0) as
        | Record<string, unknown>
        | undefined;
      expect(approved, 'no authorization_details in the token response');
      expectEqual(approved.providers, ['openai'], 'approved providers');
      expectEqual(approved.models, ['gpt-4.1-mini'], 'approved models');
      expectEqual(
        approved.budget,
        { currency: 'USD', limits: [{ amount: '2.00', period: 'day' }] },
        'approved budget',
      );
      expectEqual(approved.scopes, ['document:read'], 'approved scopes');
      const token = decodeJws(String(member(response.json, 'access_token')));
      expectEqual(member(token.claims, 'authorization_details', 0), approved, 'the access token object');
    });
    await check('broader-budget-refused', async () => {
      if (!driver.canNarrow) skip('this driver cannot submit a different approval');
      // [NAR-4] holds for every requested limit, whatever its period: each is raised on its own.
      for (const period of ['day', 'week', 'month', 'year', 'total']) {
        const details = { ...requested, budget: { currency: 'USD', limits: [{ amount: '5.00', period }] } };
        const { parameters, verifier } = app.parameters(client, { details });
        const page = await driver.open(app.authorizationUrl(parameters));
        expect(page.kind === 'page', `no consent page was shown for a ${period} limit`);
        await refused({ ...details, budget: { currency: 'USD', limits: [{ amount: '50.00', period }] } });
        // The request is still pending: approving it as asked now succeeds.
        const outcome = await driver.approve();
        const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
        expect(code, `after refusing the raised ${period} limit, approving as asked did not succeed`);
        expectEqual(
          (await app.exchange(client, code, verifier)).status,
          200,
          `status of the exchange (${period} limit)`,
        );
      }
    });
    await check('extra-model-refused', async () => {
      if (!driver.canNarrow) skip('this driver cannot submit a different approval');
      await open();
      await refused({ ...requested, models: ['gpt-4.1-mini', 'claude-haiku-4-5', 'gpt-5'] });
    });
    const constrained = {
      ...requested,
      tokens: { max_output_per_request: 500, limits: [{ tokens: 10_000, period: 'day' }] },
      rate: { requests_per_minute: 30 },
      confirm_above: { amount: '0.50' },
      retention: 'none',
      expires_at: new Date(Date.now() + 10 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    const refusedBroader = async (
      changes: Record<string, unknown>,
      base: Record<string, unknown> = constrained,
    ) => {
      if (!driver.canNarrow) skip('this driver cannot submit a different approval');
      const { parameters } = app.parameters(client, { details: base });
      const page = await driver.open(app.authorizationUrl(parameters));
      expect(page.kind === 'page', 'no consent page was shown');
      await refused({ ...base, ...changes });
    };
    await check('token-caps-kept', async () => {
      await refusedBroader({
        tokens: { max_output_per_request: 5_000, limits: [{ tokens: 10_000, period: 'day' }] },
      });
      await refusedBroader({
        tokens: { max_output_per_request: 500, limits: [{ tokens: 99_999, period: 'day' }] },
      });
    });
    await check('rate-kept', () => refusedBroader({ rate: { requests_per_minute: 300 } }));
    await check('confirm-kept', async () => {
      await refusedBroader({ confirm_above: { amount: '5.00' } });
      // Amounts are decimals, not strings: "10.00" sorts before "5.00" but is above it ([NAR-7]).
      const fiveDollars = { ...constrained, confirm_above: { amount: '5.00' } };
      await refusedBroader({ confirm_above: { amount: '10.00' } }, fiveDollars);
      // Positive control: the same comparison the other way round, a lowered threshold, is approved.
      const tenDollars = { ...constrained, confirm_above: { amount: '10.00' } };
      const { parameters, verifier } = app.parameters(client, { details: tenDollars });
      const page = await driver.open(app.authorizationUrl(parameters));
      expect(page.kind === 'page', 'no consent page was shown');
      const outcome = await driver.approve({ ...tenDollars, confirm_above: { amount: '5.00' } });
      const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
      expect(
        code,
        `lowering confirm_above from 10.00 to 5.00 was not approved (${outcome.kind === 'page' ? outcome.status : 'a redirect without a code'})`,
      );
      const response = await app.exchange(client, code, verifier);
      expectEqual(
        member(response.json, 'authorization_details', 0, 'confirm_above'),
        { amount: '5.00' },
        'approved confirm_above',
      );
    });
    // Where a consent form cannot express the broader value (it clamps instead), issuing a code
    // is conforming as long as the approved object obeys the rule; so either outcome is checked.
    const refusedOrKept = async (
      changes: Record<string, unknown>,
      verify: (approved: Record<string, unknown>) => void,
    ) => {
      if (!driver.canNarrow) skip('this driver cannot submit a different approval');
      const { parameters, verifier } = app.parameters(client, { details: constrained });
      const page = await driver.open(app.authorizationUrl(parameters));
      expect(page.kind === 'page', 'no consent page was shown');
      const outcome = await driver.approve({ ...constrained, ...changes });
      const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
      if (!code) {
        expect(
          outcome.kind === 'page' && outcome.status === 400,
          'the broader approval was neither refused with 400 nor narrowed',
        );
        return;
      }
      const response = await app.exchange(client, code, verifier);
      verify((member(response.json, 'authorization_details', 0) ?? {}) as Record<string, unknown>);
    };
    await check('retention-kept', () =>
      refusedOrKept({ retention: 'provider_default' }, (approved) =>
        expectEqual(approved.retention, 'none', 'approved retention'),
      ),
    );
    await check('expiry-kept', async () => {
      const maximum = Number(member(app.wallet.metadata, 'allowance', 'max_grant_lifetime_seconds')) * 1000;
      for (const days of [30, 4 * 365]) {
        await refusedOrKept(
          { expires_at: new Date(Date.now() + days * 86_400_000).toISOString() },
          (approved) => {
            const expires = Date.parse(String(approved.expires_at));
            expect(
              expires <= Date.parse(constrained.expires_at),
              `approved expires_at ${String(approved.expires_at)} is after the requested one`,
            );
            expect(
              expires <= Date.now() + maximum && expires > Date.now(),
              'approved expires_at is outside the wallet bounds',
            );
          },
        );
      }
    });
    await check('unavailable-provider-refused', async () => {
      if (!driver.canNarrow) skip('this driver cannot submit a different approval');
      await open();
      const outcome = await driver.approve({
        ...requested,
        providers: ['deepseek'],
        models: ['gpt-4.1-mini'],
      });
      expect(
        !(outcome.kind === 'redirect' && outcome.location.searchParams.get('code')),
        'a code was issued for a provider that was not requested',
      );
    });
  },
});
