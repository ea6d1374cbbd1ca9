import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';

const valid = {
  client_name: 'Conformance Registered App',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};

/** Dynamic client registration gated by an initial access token (Part 2 §2.3.2, RFC 7591). */
export const registrationModule = defineModule({
  name: 'registration',
  plan: 'core',
  kind: 'http',
  summary: 'Registration needs an initial access token and refuses unsafe metadata',
  checks: {
    advertised: {
      requirements: ['META-8'],
      summary: 'registration_endpoint is advertised exactly when registration works',
    },
    'token-required': {
      requirements: ['AUTH-1'],
      summary: 'without a valid initial access token: 401 and no client created',
    },
    'redirect-uris': {
      requirements: ['AUTH-2'],
      summary:
        'relative, fragment, wildcard and non-loopback http redirect URIs (hosts merely containing localhost among them) get invalid_redirect_uri; http on 127.0.0.1, [::1] and localhost, and private-use schemes, are accepted',
    },
    'grant-types': {
      requirements: ['AUTH-3'],
      summary: 'implicit or password grant types, or a token response type, get invalid_client_metadata',
    },
    created: {
      requirements: ['AUTH-4'],
      summary: 'a valid registration gets 201 with client_id and the registered metadata',
    },
  },
  async run({ check, wallet, config }) {
    const endpoint = wallet.metadata.registration_endpoint;
    const token = config.registration?.initial_access_token;
    const register = (body: unknown, bearer: string | null | undefined = token) =>
      send(String(endpoint), { json: body, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    await check('advertised', async () => {
      if (typeof endpoint !== 'string') {
        if (token)
          expect(false, 'an initial access token is configured but no registration_endpoint is advertised');
        return;
      }
      if (!token) skip('no initial access token configured to test the advertised endpoint');
      expectEqual(
        (await register(valid)).status,
        201,
        'status of a valid registration at the advertised endpoint',
      );
    });
    const usable = typeof endpoint === 'string' && token !== undefined;
    await check('token-required', async () => {
      if (!usable) skip('registration not advertised or no initial access token');
      const name = `Unauthorised ${Date.now()}`;
      const without = await register({ ...valid, client_name: name }, null);
      expectEqual(without.status, 401, 'status without a token');
      const wrong = await register({ ...valid, client_name: name }, 'not-the-initial-access-token');
      expectEqual(wrong.status, 401, 'status with a wrong token');
      expect(
        member(without.json, 'client_id') === undefined && member(wrong.json, 'client_id') === undefined,
        'a client_id was returned',
      );
    });
    await check('redirect-uris', async () => {
      if (!usable) skip('registration not advertised or no initial access token');
      const problems: string[] = [];
      for (const uri of [
        '/callback',
        'https://app.example/cb#fragment',
        'https://*.example/cb',
        'http://app.example/cb',
        // [AUTH-2] names the loopback hosts exactly: a name that only contains one is anyone's.
        'http://localhost.attacker.example/cb',
        'http://attacker-localhost.example/cb',
        'http://app.localhost/cb',
      ]) {
        const response = await register({ ...valid, redirect_uris: [uri] });
        if (response.status !== 400 || member(response.json, 'error') !== 'invalid_redirect_uri') {
          problems.push(`${uri}: ${response.status} ${String(member(response.json, 'error') ?? '')}`);
        }
      }
      const native = await register({
        ...valid,
        redirect_uris: ['com.example.conformance:/callback'],
        application_type: 'native',
      });
      if (native.status !== 201) problems.push(`private-use scheme refused: ${native.status}`);
      // Positive controls: http on the three loopback hosts [AUTH-2] names is accepted.
      for (const uri of ['http://127.0.0.1/cb', 'http://[::1]/cb', 'http://localhost/cb']) {
        const response = await register({ ...valid, redirect_uris: [uri] });
        if (response.status !== 201) {
          problems.push(`${uri} refused: ${response.status} ${String(member(response.json, 'error') ?? '')}`);
        }
      }
      expect(problems.length === 0, problems.join('; '));
    });
    await check('grant-types', async () => {
      if (!usable) skip('registration not advertised or no initial access token');
      const problems: string[] = [];
      for (const [name, body] of [
        ['implicit', { ...valid, grant_types: ['implicit'] }],
        ['password', { ...valid, grant_types: ['authorization_code', 'password'] }],
        ['token response type', { ...valid, response_types: ['code', 'token'] }],
      ] as const) {
        const response = await register(body);
        if (response.status !== 400 || member(response.json, 'error') !== 'invalid_client_metadata') {
          problems.push(`${name}: ${response.status} ${String(member(response.json, 'error') ?? '')}`);
        }
      }
      expect(problems.length === 0, problems.join('; '));
    });
    await check('created', async () => {
      if (!usable) skip('registration not advertised or no initial access token');
      const response = await register(valid);
      expectEqual(response.status, 201, 'status');
      expect(typeof member(response.json, 'client_id') === 'string', 'no client_id');
      expectEqual(member(response.json, 'redirect_uris'), valid.redirect_uris, 'redirect_uris');
      expectEqual(member(response.json, 'client_name'), valid.client_name, 'client_name');
    });
  },
});
