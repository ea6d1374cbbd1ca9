import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { harvestedSecrets } from '../runner/exchange-log.js';
import { artefactFiles, artefactsContain, searchArtefacts } from '../wire/artefacts.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { type HttpResponse, member, send } from '../wire/http.js';

const PROVIDERS = ['openai', 'anthropic', 'deepseek'];

/**
 * The values of the cookies set in these `Set-Cookie` lines that could be an identifier: set, not
 * deleted (an empty value or an expiry in the past), and longer than 16 characters, below which
 * a value is a flag rather than a secret. Labelled by cookie name; a percent-encoded value is
 * also searched for decoded.
 */
function sessionCookieValues(lines: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of lines) {
    if (/max-age=0\b|expires=thu, 01 jan 1970/i.test(line)) continue;
    const pair = line.split(';')[0] ?? '';
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator).trim();
    const value = pair
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (value.length <= 16) continue;
    values.set(`the ${name} cookie value (${value.slice(0, 6)}…)`, value);
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // Not percent-encoding after all: the value is searched as it is.
    }
    if (decoded !== value) values.set(`the ${name} cookie value, decoded (${value.slice(0, 6)}…)`, decoded);
  }
  return values;
}

/** What the wallet must never hand out, and where it must never connect (Part 7 §7.7, §7.8). */
export const secretsModule = defineModule({
  name: 'secrets',
  plan: 'core',
  kind: 'http',
  summary:
    'No response carries a provider credential; nothing moves the upstream; the database and logs keep no secret or prompt',
  checks: {
    'no-credential-in-responses': {
      requirements: ['SEC-6'],
      summary:
        'metadata, token, gateway success, stream, list, error and upstream-failure responses never contain a provider key',
    },
    'upstream-fixed': {
      requirements: ['SEC-8'],
      summary:
        'model names and headers that look like URLs or paths are refused or reach the configured provider path, nowhere else',
    },
    'credentials-encrypted': {
      requirements: ['SEC-5'],
      kind: 'inspect',
      summary:
        'the database artefacts (which do hold the run grants) contain no provider key, in clear or base64/hex encoded',
    },
    'no-prompt-stored': {
      requirements: ['SEC-11'],
      kind: 'inspect',
      summary:
        'a canary sent in chat, messages and tool-call prompts, and the completion text returned, appear nowhere in the database or logs',
    },
    'no-bearer-secret-stored': {
      requirements: ['SEC-14'],
      kind: 'inspect',
      summary:
        'no authorization code, refresh token (used or current), access token, registered client secret, registration access token or session cookie value of the run appears in the database artefacts, in clear or base64/hex encoded',
    },
    'no-secrets-in-logs': {
      requirements: ['SEC-12'],
      kind: 'inspect',
      summary:
        'no token, code, DPoP proof, client secret, initial access token, cookie or provider key the run used appears in the log output',
    },
  },
  async run({ check, app, clients, wallet, sim, config, driver }) {
    const connection = await app.connect(clients.app);
    const artefacts = config.artefacts;
    const database = artefacts?.database ?? [];
    const logs = artefacts?.logs ?? [];
    const needDatabase = () => {
      if (database.length === 0) skip('the configuration names no database artefacts');
      // Positive control: these files are this wallet's database, which knows the grant.
      expect(
        artefactsContain(database, connection.grantId),
        `the database artefacts (${artefactFiles(database).length} files) do not hold grant ${connection.grantId}: not this wallet's database`,
      );
    };
    const hits = (paths: readonly string[], canaries: Map<string, string>, encodings = false) =>
      searchArtefacts(paths, canaries, { encodings }).map((hit) => `${hit.label} in ${hit.file}`);
    await check('credentials-encrypted', async () => {
      needDatabase();
      const canaries = new Map(PROVIDERS.map((provider) => [`the ${provider} key`, sim.apiKey(provider)]));
      expectEqual(hits(database, canaries, true), [], 'provider keys found in the database');
    });
    await check('no-prompt-stored', async () => {
      needDatabase();
      const canary = `canary-${crypto.randomUUID()}`;
      const chat = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody({
          messages: [{ role: 'user', content: `Remember ${canary} please.` }],
          tools: [
            {
              type: 'function',
              function: { name: 'note', parameters: { type: 'object', description: canary } },
            },
          ],
        }),
      });
      const stream = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody({ stream: true, messages: [{ role: 'user', content: `Stream ${canary} back.` }] }),
      });
      const message = await callGateway(wallet.gateway, '/v1/messages', connection, {
        body: {
          model: 'claude-haiku-4-5',
          max_tokens: 40,
          system: canary,
          messages: [{ role: 'user', content: `Hold ${canary}.` }],
        },
      });
      expectEqual([chat.status, stream.status, message.status], [200, 200, 200], 'statuses');
      const completion = String(member(chat.json, 'choices', 0, 'message', 'content') ?? '');
      const reply = String(member(message.json, 'content', 0, 'text') ?? '');
      expect(completion.length >= 20 && reply.length >= 20, 'the completions are too short to search for');
      const canaries = new Map([
        ['the prompt canary', canary],
        ['the chat completion text', completion],
        ['the message reply text', reply],
      ]);
      expectEqual(
        hits([...database, ...logs], canaries),
        [],
        'prompt or completion text found in the artefacts',
      );
    });
    await check('no-bearer-secret-stored', async () => {
      needDatabase();
      // A code flow of its own, so that the code is known, and a refresh, which rotates the
      // refresh token: the used one is kept by the wallet too, for replay detection.
      const canaries = new Map<string, string>([
        ['the access token', connection.accessToken],
        ['the refresh token', connection.refreshToken],
      ]);
      const { outcome, verifier } = await app.authorize(clients.app);
      const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
      expect(code !== null, 'approving the consent page did not redirect with a code');
      canaries.set('the authorization code', String(code));
      const exchanged = await app.exchange(clients.app, String(code), verifier);
      const refreshToken = member(exchanged.json, 'refresh_token');
      expect(
        typeof refreshToken === 'string',
        `the code exchange answered ${exchanged.status} without a refresh token`,
      );
      canaries.set('the refreshed-away refresh token', String(refreshToken));
      canaries.set('the second access token', String(member(exchanged.json, 'access_token')));
      const refreshed = await app.refresh(clients.app, String(refreshToken));
      expectEqual(refreshed.status, 200, 'status of the refresh');
      canaries.set('the rotated refresh token', String(member(refreshed.json, 'refresh_token')));
      const endpoint = wallet.metadata.registration_endpoint;
      if (typeof endpoint === 'string' && config.registration) {
        const registered = await send(endpoint, {
          json: {
            client_name: 'Conformance Confidential App',
            redirect_uris: ['http://127.0.0.1/callback'],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
          headers: { authorization: `Bearer ${config.registration.initial_access_token}` },
        });
        expectEqual(registered.status, 201, 'status of the registration of a confidential client');
        for (const name of ['client_secret', 'registration_access_token']) {
          const value = member(registered.json, name);
          if (typeof value === 'string') canaries.set(`the registered client's ${name}`, value);
        }
      }
      // Session and interaction identifiers are named by [SEC-14] too: the cookies that carry them
      // are read from the driver's browser, which has signed in and consented by now.
      if (driver.setCookieLines) {
        const values = sessionCookieValues(await driver.setCookieLines());
        expect(
          values.size > 0,
          'the wallet set the driver no cookie holding a value of more than 16 characters',
        );
        for (const [label, value] of values) canaries.set(label, value);
      }
      expectEqual(hits(database, canaries, true), [], 'bearer secrets found in the database');
    });
    await check('no-secrets-in-logs', async () => {
      if (logs.length === 0) skip('the configuration names no log artefacts');
      const canaries = new Map<string, string>();
      for (const provider of PROVIDERS) canaries.set(`the ${provider} key`, sim.apiKey(provider));
      for (const client of Object.values(config.clients))
        if (client.client_secret) canaries.set(`the ${client.client_id} client secret`, client.client_secret);
      if (config.registration)
        canaries.set('the initial access token', config.registration.initial_access_token);
      canaries.set("the test user's password", config.user.password);
      for (const [index, secret] of harvestedSecrets().entries())
        canaries.set(`credential #${index} of the run (${secret.slice(0, 6)}…)`, secret);
      expect(canaries.size > 20, `only ${canaries.size} credentials were collected from the run`);
      const found = hits(logs, canaries);
      expect(found.length === 0, `credentials found in the logs: ${found.slice(0, 5).join('; ')}`);
    });
    const keys = PROVIDERS.map((provider) => sim.apiKey(provider));
    await check('no-credential-in-responses', async () => {
      const responses: HttpResponse[] = [
        await send(`${new URL(wallet.issuer).origin}/.well-known/oauth-authorization-server`),
        await callGateway(wallet.gateway, '/v1/chat/completions', connection, { body: chatBody() }),
        await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
          body: chatBody({ stream: true }),
        }),
        await callGateway(wallet.gateway, '/v1/models', connection),
        await callGateway(wallet.gateway, '/v1/allowance', connection),
      ];
      try {
        for (const status of [401, 400, 500] as const) {
          sim.setRules([
            { provider: 'openai', fault: { status, message: `credential ${sim.apiKey('openai')} refused` } },
          ]);
          responses.push(
            await callGateway(wallet.gateway, '/v1/chat/completions', connection, { body: chatBody() }),
          );
        }
      } finally {
        sim.setRules([]);
      }
      for (const response of responses) {
        const seen = `${JSON.stringify([...response.headers.entries()])}${response.text}`;
        for (const key of keys)
          expect(
            !seen.includes(key),
            `a response (status ${response.status}) contains a provider credential`,
          );
      }
    });
    await check('upstream-fixed', async () => {
      const hostile: [Record<string, unknown>, Record<string, string>][] = [
        [{ model: 'http://192.0.2.1/v1/chat/completions' }, {}],
        [{ model: '../../../evil' }, {}],
        [{ model: 'openai/../../evil' }, {}],
        [{}, { 'x-forwarded-host': '192.0.2.1', host: '192.0.2.1' }],
        [{ base_url: 'http://192.0.2.1', api_base: 'http://192.0.2.1' }, { 'allowance-provider': 'openai' }],
      ];
      for (const [changes, headers] of hostile) {
        sim.clearCalls();
        const response = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
          body: chatBody(changes),
          headers,
        });
        await sim.idle();
        const calls = sim.calls;
        if (response.status === 200) {
          expect(
            calls.length === 1,
            `${JSON.stringify(changes)} succeeded but the provider saw ${calls.length} calls`,
          );
        }
        for (const call of calls) {
          expect(
            call.provider === 'openai' && call.path === '/v1/chat/completions',
            `an upstream call went to ${call.provider}${call.path}`,
          );
        }
        expect(
          response.status < 500 || errorCode(response) === 'upstream_error',
          `${JSON.stringify(changes)} produced ${response.status}`,
        );
      }
    });
  },
});
