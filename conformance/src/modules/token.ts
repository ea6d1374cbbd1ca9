import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';
import type { SuiteApp, SuiteClient } from '../wire/suite-app.js';

/** Runs the front channel and returns a fresh code and its verifier. */
export async function freshCode(
  app: SuiteApp,
  client: SuiteClient,
): Promise<{ code: string; verifier: string }> {
  const { outcome, verifier } = await app.authorize(client);
  const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
  expect(
    code,
    `approving did not redirect with a code (${outcome.kind === 'redirect' ? outcome.location.href : outcome.status})`,
  );
  return { code, verifier };
}

const errorOf = (response: { json: unknown }) => member(response.json, 'error');

/** The token endpoint's code exchange (Part 2 §2.11.1) and refused grant types (Part 7 §7.1). */
export const tokenModule = defineModule({
  name: 'token',
  plan: 'core',
  kind: 'driver',
  summary: 'Code exchange: PKCE, binding, single use, resource, response shape',
  checks: {
    'code-binding': {
      requirements: ['AUTH-29', 'AUTH-19'],
      summary:
        'a wrong code_verifier, redirect_uri or client, or an unknown code, is refused with invalid_grant',
    },
    'code-replay': {
      requirements: ['AUTH-30', 'AUTH-19'],
      summary: 'a code used twice is refused with invalid_grant and its grant is revoked',
    },
    'resource-parameter': {
      requirements: ['AUTH-31'],
      summary: 'a resource other than G at the token endpoint is refused with invalid_target',
    },
    'response-shape': {
      requirements: ['AUTH-32'],
      summary:
        'the response has access_token, token_type Bearer, expires_in, refresh_token, authorization_details and Cache-Control: no-store',
    },
    'approved-object': {
      requirements: ['NAR-1', 'DET-13', 'DET-15'],
      summary:
        'the approved object has retention provider_default when omitted, and expires_at within the wallet maximum',
    },
    'forbidden-grant-types': {
      requirements: ['SEC-1'],
      summary:
        'password and client_credentials are refused with unsupported_grant_type or unauthorized_client',
      kind: 'http',
    },
  },
  async run({ check, app, clients, wallet }) {
    const client = clients.app;
    await check('code-binding', async () => {
      const problems: string[] = [];
      const expectInvalidGrant = async (
        name: string,
        form: Record<string, string | null>,
        as: SuiteClient = client,
      ) => {
        const { code, verifier } = await freshCode(app, client);
        const response = await app.exchange(as, code, verifier, { form });
        if (response.status !== 400 || errorOf(response) !== 'invalid_grant') {
          problems.push(`${name}: ${response.status} ${String(errorOf(response) ?? '')}`);
        }
      };
      await expectInvalidGrant('wrong code_verifier', { code_verifier: 'x'.repeat(43) });
      await expectInvalidGrant('wrong redirect_uri', { redirect_uri: `${client.redirect_uri}/other` });
      if (clients.second) await expectInvalidGrant('another client', {}, clients.second);
      const unknown = await app.exchange(client, 'unknown-code-value', 'x'.repeat(43));
      if (errorOf(unknown) !== 'invalid_grant')
        problems.push(`unknown code: ${unknown.status} ${String(errorOf(unknown))}`);
      expect(problems.length === 0, problems.join('; '));
    });
    await check('code-replay', async () => {
      const { code, verifier } = await freshCode(app, client);
      const first = await app.exchange(client, code, verifier);
      expectEqual(first.status, 200, 'status of the first exchange');
      const second = await app.exchange(client, code, verifier);
      expectEqual(
        [second.status, errorOf(second)],
        [400, 'invalid_grant'],
        'status and error of the replayed code',
      );
      const refresh = await app.refresh(client, String(member(first.json, 'refresh_token')));
      expectEqual(errorOf(refresh), 'invalid_grant', 'refresh of the grant whose code was replayed');
    });
    await check('resource-parameter', async () => {
      const { code, verifier } = await freshCode(app, client);
      const response = await app.exchange(client, code, verifier, {
        form: { resource: `${wallet.gateway}/other` },
      });
      expectEqual([response.status, errorOf(response)], [400, 'invalid_target'], 'status and error');
    });
    let approved: Record<string, unknown> = {};
    await check('response-shape', async () => {
      const { code, verifier } = await freshCode(app, client);
      const response = await app.exchange(client, code, verifier, { form: { resource: wallet.gateway } });
      expectEqual(response.status, 200, 'status');
      expect(typeof member(response.json, 'access_token') === 'string', 'no access_token');
      expectEqual(member(response.json, 'token_type'), 'Bearer', 'token_type of an unbound token');
      expect(Number.isInteger(member(response.json, 'expires_in')), 'expires_in is not an integer');
      expect(
        typeof member(response.json, 'refresh_token') === 'string',
        'no refresh_token for a client with the refresh_token grant',
      );
      const details = member(response.json, 'authorization_details');
      expect(
        Array.isArray(details) && details.length === 1,
        'authorization_details is not an array of one object',
      );
      approved = details[0] as Record<string, unknown>;
      expect(
        /(^|,)\s*no-store\s*(,|$)/.test(response.headers.get('cache-control') ?? ''),
        `Cache-Control is ${response.headers.get('cache-control')}`,
      );
    });
    await check('approved-object', async () => {
      expect(Object.keys(approved).length > 0, 'no approved object was obtained');
      expectEqual(approved.retention, 'provider_default', 'retention when the request omitted it');
      expect(typeof approved.expires_at === 'string', 'expires_at is missing');
      const expires = Date.parse(String(approved.expires_at));
      const maximum = Number(member(wallet.metadata, 'allowance', 'max_grant_lifetime_seconds')) * 1000;
      expect(expires > Date.now(), 'expires_at is not in the future');
      expect(
        expires <= Date.now() + maximum + 5_000,
        `expires_at ${String(approved.expires_at)} is beyond the wallet maximum`,
      );
    });
    await check('forbidden-grant-types', async () => {
      const password = await send(app.endpoint('token_endpoint'), {
        form: {
          grant_type: 'password',
          username: 'someone',
          password: 'something',
          client_id: client.client_id,
        },
      });
      expect(
        ['unsupported_grant_type', 'unauthorized_client'].includes(String(errorOf(password))),
        `password grant: ${password.status} ${String(errorOf(password))}`,
      );
      const confidential = clients.confidential;
      if (!confidential) skip('no confidential client configured for client_credentials');
      const credentials = await send(app.endpoint('token_endpoint'), {
        form: { grant_type: 'client_credentials', resource: wallet.gateway },
        headers: app.clientAuthentication(confidential),
      });
      expect(
        ['unsupported_grant_type', 'unauthorized_client'].includes(String(errorOf(credentials))),
        `client_credentials: ${credentials.status} ${String(errorOf(credentials))}`,
      );
    });
  },
});
