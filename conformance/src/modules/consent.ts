import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { send } from '../wire/http.js';
import { defaultDetails } from '../wire/suite-app.js';

/** Consent, denial and the authorization response (Part 2 §2.6, §2.8). */
export const consentModule = defineModule({
  name: 'consent',
  plan: 'core',
  kind: 'driver',
  summary: 'Login before consent, what the consent page shows, denial, the redirect',
  checks: {
    'login-first': {
      requirements: ['AUTH-15'],
      summary: 'a valid request without a session never yields a code before the user authenticates',
    },
    'shows-request': {
      requirements: ['AUTH-16'],
      summary:
        'the consent page shows client_id, providers, models, budget amount and currency, scopes and retention',
    },
    deny: {
      requirements: ['AUTH-17', 'AUTH-18'],
      summary: 'denial redirects with access_denied, state and iss, and creates no grant',
    },
    approve: {
      requirements: ['AUTH-18'],
      summary: 'approval redirects with code, state unchanged and iss equal to the issuer',
    },
    csrf: {
      requirements: ['SEC-9'],
      summary: 'a consent submission without its anti-CSRF token issues no code',
    },
  },
  async run({ check, app, clients, driver, wallet }) {
    const client = clients.app;
    const details = defaultDetails({
      scopes: ['document:read', 'drafts:search'],
      retention: 'none',
      tokens: { max_output_per_request: 777 },
    });
    await check('login-first', async () => {
      const { parameters } = app.parameters(client, { details });
      const response = await send(app.authorizationUrl(parameters));
      expect(!response.location?.searchParams.get('code'), 'a code was issued without any login');
    });
    await check('shows-request', async () => {
      const { parameters } = app.parameters(client, { details });
      const page = await driver.open(app.authorizationUrl(parameters));
      expect(page.kind === 'page', 'no consent page was shown');
      const text = page.html.replace(/<[^>]+>/g, ' ');
      for (const expected of [
        client.client_id,
        'openai',
        'anthropic',
        'gpt-4.1-mini',
        'claude-haiku-4-5',
        '5.00',
        'USD',
        'document:read',
        'drafts:search',
        '777',
      ]) {
        expect(text.includes(expected), `the consent page does not show ${expected}`);
      }
    });
    await check('deny', async () => {
      const { outcome, state } = await app.authorize(client, { details, deny: true });
      expect(outcome.kind === 'redirect', 'denial did not redirect to the app');
      expectEqual(outcome.location.searchParams.get('error'), 'access_denied', 'error');
      expectEqual(outcome.location.searchParams.get('state'), state, 'state');
      expectEqual(outcome.location.searchParams.get('iss'), wallet.issuer, 'iss');
      expect(!outcome.location.searchParams.get('code'), 'a code came with the denial');
    });
    await check('approve', async () => {
      const { outcome, state } = await app.authorize(client, { details });
      expect(outcome.kind === 'redirect', 'approval did not redirect to the app');
      expect(outcome.location.searchParams.get('code'), 'no code');
      expectEqual(outcome.location.searchParams.get('state'), state, 'state');
      expectEqual(outcome.location.searchParams.get('iss'), wallet.issuer, 'iss');
    });
    await check('csrf', async () => {
      if (!driver.approveWithoutCsrf) skip('the consent driver cannot remove the anti-CSRF token');
      const { parameters } = app.parameters(client, { details });
      const page = await driver.open(app.authorizationUrl(parameters));
      expect(page.kind === 'page', 'no consent page was shown');
      const outcome = await driver.approveWithoutCsrf();
      expect(
        !(outcome.kind === 'redirect' && outcome.location.searchParams.get('code')),
        'a code was issued without the anti-CSRF token',
      );
    });
  },
});
