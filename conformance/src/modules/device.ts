import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';
import { defaultDetails, type SuiteClient } from '../wire/suite-app.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The device authorization grant (Part 2 §2.10, RFC 8628). */
export const deviceModule = defineModule({
  name: 'device',
  plan: 'device',
  kind: 'driver',
  summary: 'Device authorization: validation, response, polling and one-time device codes',
  checks: {
    validation: {
      requirements: ['AUTH-24'],
      summary:
        'a bad resource or authorization_details gets 400 JSON invalid_target or invalid_authorization_details',
    },
    response: {
      requirements: ['AUTH-25'],
      summary:
        'the response has device_code, user_code, verification_uri on the issuer origin, expires_in and interval',
    },
    'consent-shows-code': {
      requirements: ['AUTH-26'],
      summary: 'the device pages show the request and the user code for the user to compare',
    },
    polling: {
      requirements: ['AUTH-27'],
      summary:
        'pending polls get authorization_pending, a too-fast poll slow_down, a denied code access_denied',
    },
    'single-use': {
      requirements: ['AUTH-28'],
      summary: 'a device code yields tokens once; the next poll gets invalid_grant',
    },
  },
  async run({ check, app, clients, wallet, driver }) {
    const client = clients.device;
    const endpoint = wallet.metadata.device_authorization_endpoint;
    const authorize = (c: SuiteClient, overrides: Record<string, string> = {}) =>
      send(String(endpoint), {
        form: {
          client_id: c.client_id,
          resource: wallet.gateway,
          authorization_details: JSON.stringify([defaultDetails({ scopes: ['cli:run'] })]),
          ...overrides,
        },
      });
    const poll = (c: SuiteClient, deviceCode: string) =>
      send(app.endpoint('token_endpoint'), {
        form: { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: c.client_id },
      });
    const unavailable =
      typeof endpoint !== 'string'
        ? 'the wallet advertises no device authorization'
        : !client
          ? 'no device client configured'
          : undefined;
    await check('validation', async () => {
      if (unavailable || !client) skip(unavailable ?? '');
      const target = await authorize(client, { resource: `${wallet.gateway}/other` });
      expectEqual([target.status, member(target.json, 'error')], [400, 'invalid_target'], 'bad resource');
      const details = await authorize(client, { authorization_details: '[{"type":"ai_allowance"}]' });
      expectEqual(
        [details.status, member(details.json, 'error')],
        [400, 'invalid_authorization_details'],
        'bad details',
      );
    });
    let started: Record<string, unknown> = {};
    await check('response', async () => {
      if (unavailable || !client) skip(unavailable ?? '');
      const response = await authorize(client);
      expectEqual(response.status, 200, 'status');
      started = response.json as Record<string, unknown>;
      for (const name of ['device_code', 'user_code', 'verification_uri'])
        expect(typeof started[name] === 'string', `${name} missing`);
      for (const name of ['expires_in', 'interval'])
        expect(Number.isInteger(started[name]), `${name} missing`);
      expectEqual(
        new URL(String(started.verification_uri)).origin,
        new URL(wallet.issuer).origin,
        'verification_uri origin',
      );
    });
    await check('polling', async () => {
      if (unavailable || !client) skip(unavailable ?? '');
      const pending = await poll(client, String(started.device_code));
      expectEqual(member(pending.json, 'error'), 'authorization_pending', 'first poll');
      if (driver.device) {
        const denied = (await authorize(client)).json as Record<string, unknown>;
        await driver.device(String(denied.verification_uri_complete ?? denied.verification_uri), 'deny');
        expectEqual(
          member((await poll(client, String(denied.device_code))).json, 'error'),
          'access_denied',
          'poll after denial',
        );
      }
      const tooFast = await poll(client, String(started.device_code));
      expectEqual(member(tooFast.json, 'error'), 'slow_down', 'second poll sooner than interval');
    });
    await check('consent-shows-code', async () => {
      if (unavailable || !client) skip(unavailable ?? '');
      if (!driver.device) skip('the consent driver cannot act on device codes');
      const approved = (await authorize(client)).json as Record<string, unknown>;
      const { pagesShown } = await driver.device(
        String(approved.verification_uri_complete ?? approved.verification_uri),
        'approve',
      );
      started = approved;
      const text = pagesShown.replace(/<[^>]+>/g, ' ');
      for (const expected of ['gpt-4.1-mini', '5.00', 'USD', 'cli:run', String(approved.user_code)]) {
        expect(text.includes(expected), `the device consent page does not show ${expected}`);
      }
    });
    await check('single-use', async () => {
      if (unavailable || !client) skip(unavailable ?? '');
      if (!driver.device) skip('the consent driver cannot act on device codes');
      const tokens = await poll(client, String(started.device_code));
      expectEqual(tokens.status, 200, 'status of the first poll after approval');
      expect(typeof member(tokens.json, 'access_token') === 'string', 'no access token');
      const again = await poll(client, String(started.device_code));
      expectEqual(member(again.json, 'error'), 'invalid_grant', 'second poll');
    });
  },
});
