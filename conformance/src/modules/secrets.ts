import { defineModule } from '../model/module.js';
import { expect } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { type HttpResponse, send } from '../wire/http.js';

const PROVIDERS = ['openai', 'anthropic', 'deepseek'];

/** What the wallet must never hand out, and where it must never connect (Part 7 §7.7, §7.8). */
export const secretsModule = defineModule({
  name: 'secrets',
  plan: 'core',
  kind: 'http',
  summary: 'No response carries a provider credential; nothing in a request moves the upstream',
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
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.app);
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
