import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';
import { defaultDetails } from '../wire/suite-app.js';
import { expectErrorPage } from './authorize.js';

/** Pushed authorization requests (Part 2 §2.5, RFC 9126). */
export const parModule = defineModule({
  name: 'par',
  plan: 'core',
  kind: 'driver',
  summary: 'Pushed authorization requests: acceptance, errors, one-time request_uri',
  checks: {
    'valid-request': {
      requirements: ['AUTH-11'],
      summary: 'a valid pushed request gets 201 with request_uri and expires_in at most 600',
      kind: 'http',
    },
    'same-errors': {
      requirements: ['AUTH-12'],
      summary: 'pushed requests failing steps 2-5 get 400 JSON with the same error and no request_uri',
      kind: 'http',
    },
    'client-errors': {
      requirements: ['AUTH-12'],
      summary:
        'a pushed request with an unregistered redirect_uri gets 400/401 invalid_client or invalid_request',
      kind: 'http',
    },
    'pushed-parameters-win': {
      requirements: ['AUTH-13'],
      summary: 'the authorization endpoint uses the pushed parameters and ignores others (state)',
    },
    'request-uri-once': {
      requirements: ['AUTH-13'],
      summary: 'a used, unknown or foreign request_uri gets an error page, no redirect',
    },
    'required-par': {
      requirements: ['AUTH-14'],
      summary:
        'with require_pushed_authorization_requests, a request without request_uri gets invalid_request',
      kind: 'http',
    },
  },
  async run({ check, app, clients, wallet }) {
    const client = clients.app;
    const authorizeWith = (clientId: string, requestUri: string, extra: Record<string, string> = {}) =>
      `${app.endpoint('authorization_endpoint')}?${new URLSearchParams({ client_id: clientId, request_uri: requestUri, ...extra })}`;
    let requestUri = '';
    let pushedState = '';
    await check('valid-request', async () => {
      const { parameters, state } = app.parameters(client);
      pushedState = state;
      const response = await app.push(client, parameters);
      expectEqual(response.status, 201, 'status');
      requestUri = String(member(response.json, 'request_uri') ?? '');
      expect(requestUri !== '', 'no request_uri');
      const expiresIn = member(response.json, 'expires_in');
      expect(
        Number.isInteger(expiresIn) && Number(expiresIn) > 0 && Number(expiresIn) <= 600,
        `expires_in is ${String(expiresIn)}`,
      );
    });
    await check('same-errors', async () => {
      const cases: [Record<string, string | string[] | null>, string][] = [
        [{ response_type: 'token' }, 'unsupported_response_type'],
        [{ code_challenge_method: 'plain' }, 'invalid_request'],
        [{ resource: `${wallet.gateway}/elsewhere` }, 'invalid_target'],
        [{ authorization_details: '[]' }, 'invalid_authorization_details'],
      ];
      for (const [overrides, error] of cases) {
        const response = await app.push(client, app.parameters(client, { overrides }).parameters);
        expectEqual(
          [response.status, member(response.json, 'error')],
          [400, error],
          `status and error for ${JSON.stringify(overrides)}`,
        );
        expect(member(response.json, 'request_uri') === undefined, 'an error response carried a request_uri');
      }
    });
    await check('client-errors', async () => {
      const response = await app.push(
        client,
        app.parameters(client, { overrides: { redirect_uri: `${client.redirect_uri}/x` } }).parameters,
      );
      expect([400, 401].includes(response.status), `status ${response.status}`);
      expect(
        ['invalid_client', 'invalid_request', 'invalid_redirect_uri'].includes(
          String(member(response.json, 'error')),
        ),
        `error ${String(member(response.json, 'error'))}`,
      );
    });
    await check('pushed-parameters-win', async () => {
      expect(requestUri, 'no request_uri was obtained');
      const outcome = await app.driver.open(
        authorizeWith(client.client_id, requestUri, { state: 'not-the-pushed-state' }),
      );
      const final = outcome.kind === 'redirect' ? outcome : await app.driver.approve();
      expect(final.kind === 'redirect', 'approving did not redirect to the app');
      expectEqual(final.location.searchParams.get('state'), pushedState, 'state in the redirect');
      expect(final.location.searchParams.get('code'), 'no code in the redirect');
    });
    await check('request-uri-once', async () => {
      expect(requestUri, 'no request_uri was obtained');
      expectErrorPage(await send(authorizeWith(client.client_id, requestUri)));
      expectErrorPage(
        await send(authorizeWith(client.client_id, 'urn:ietf:params:oauth:request_uri:unknown-value')),
      );
      const other = clients.second;
      if (other) {
        const pushed = await app.push(client, app.parameters(client).parameters);
        expectErrorPage(
          await send(authorizeWith(other.client_id, String(member(pushed.json, 'request_uri') ?? ''))),
        );
      }
    });
    await check('required-par', async () => {
      if (wallet.metadata.require_pushed_authorization_requests !== true)
        skip('the wallet does not require PAR');
      const response = await send(
        app.authorizationUrl(app.parameters(client, { details: defaultDetails() }).parameters),
      );
      expectEqual(response.location?.searchParams.get('error'), 'invalid_request', 'error');
    });
  },
});
