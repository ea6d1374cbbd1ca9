import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { member } from '../wire/http.js';
import { decodeJws } from '../wire/suite-app.js';

// A request no other module makes, so that remembering it cannot hide another module's consent page.
const remembered = {
  type: 'ai_allowance',
  providers: ['openai'],
  models: ['gpt-4.1-nano'],
  budget: { currency: 'USD', limits: [{ amount: '0.50', period: 'day' }] },
};

/** Remembered consent (Part 2 §2.9): quiet sign-ins that never widen or multiply a grant. */
export const rememberedConsentModule = defineModule({
  name: 'remembered-consent',
  plan: 'core',
  kind: 'driver',
  summary: 'Consent is skipped only when remembered, only for the same or less, and never after revocation',
  checks: {
    'not-preselected': {
      requirements: ['AUTH-20'],
      summary:
        'the remember choice is not preselected, and without it the next identical request shows consent again',
    },
    'skipped-same-grant': {
      requirements: ['AUTH-21', 'AUTH-22'],
      summary:
        'after "remember", the same or a smaller request skips consent and yields a code for the same grant_id',
    },
    'shown-when-more': {
      requirements: ['AUTH-21'],
      summary: 'a request for more, or with prompt=consent, shows the consent page again',
    },
    'ended-by-revocation': {
      requirements: ['AUTH-23'],
      summary: 'after the remembered grant is revoked, the request shows consent again',
    },
  },
  async run({ check, app, clients, driver }) {
    const client = clients.app;
    const open = async (details: Record<string, unknown>, overrides: Record<string, string> = {}) => {
      const { parameters, verifier } = app.parameters(client, { details, overrides });
      return { outcome: await driver.open(app.authorizationUrl(parameters)), verifier };
    };
    await check('not-preselected', async () => {
      const { outcome } = await open(remembered);
      expect(outcome.kind === 'page', 'no consent page for a first request');
      const preselected = /<input[^>]*name="remember"[^>]*\bchecked\b/i.test(outcome.html);
      expect(!preselected, 'the remember choice is preselected');
      await driver.approve();
      expectEqual(
        (await open(remembered)).outcome.kind,
        'page',
        'what the next request showed without "remember"',
      );
    });
    let rememberedRefresh = '';
    await check('skipped-same-grant', async () => {
      const { outcome: page, verifier } = await open(remembered);
      expect(page.kind === 'page', 'no consent page');
      const approved = await driver.approve(undefined, { remember: true });
      const code = approved.kind === 'redirect' ? approved.location.searchParams.get('code') : null;
      expect(code, 'approving with remember gave no code');
      const grantId = decodeJws(
        String(member((await app.exchange(client, code, verifier)).json, 'access_token')),
      ).claims.grant_id;
      const smaller = {
        ...remembered,
        budget: { currency: 'USD', limits: [{ amount: '0.25', period: 'day' }] },
      };
      const { outcome: quiet, verifier: quietVerifier } = await open(smaller);
      expect(quiet.kind === 'redirect', 'a smaller request showed the consent page again');
      const quietCode = quiet.location.searchParams.get('code');
      expect(quietCode, 'the skipped consent redirected without a code');
      const tokens = await app.exchange(client, quietCode, quietVerifier);
      expectEqual(
        decodeJws(String(member(tokens.json, 'access_token'))).claims.grant_id,
        grantId,
        'grant_id of the code issued without consent',
      );
      rememberedRefresh = String(member(tokens.json, 'refresh_token') ?? '');
    });
    await check('shown-when-more', async () => {
      const more = await open({
        ...remembered,
        budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'day' }] },
      });
      expectEqual(more.outcome.kind, 'page', 'what a request for a larger budget showed');
      const forced = await open(remembered, { prompt: 'consent' });
      expectEqual(forced.outcome.kind, 'page', 'what prompt=consent showed');
    });
    await check('ended-by-revocation', async () => {
      expect(rememberedRefresh !== '', 'no remembered grant was obtained');
      expectEqual(
        (await app.revoke(client, rememberedRefresh, 'refresh_token')).status,
        200,
        'status of the revocation',
      );
      expectEqual((await open(remembered)).outcome.kind, 'page', 'what the request showed after revocation');
    });
  },
});
