import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { callGateway, chatBody } from '../wire/gateway-call.js';
import type { HttpResponse } from '../wire/http.js';

/** Headers that describe the user's provider account ([GW-20], SHOULD). */
const ACCOUNT_HEADER =
  /^(openai-organization|openai-project|anthropic-organization-id|x-ratelimit-|anthropic-ratelimit-)/;

/** What the gateway sends upstream and relays back (Part 5 §5.5, Part 7 §7.7). */
export const forwardingModule = defineModule({
  name: 'forwarding',
  plan: 'core',
  kind: 'http',
  summary:
    'The provider sees the user credential and none of the app secrets; no redirect is followed; no cookie comes back',
  checks: {
    'upstream-credential': {
      requirements: ['GW-17'],
      summary:
        "the provider receives exactly the user's key, and never the app's Authorization, x-api-key, DPoP, Cookie or Allowance-* headers: Bearer and DPoP tokens, both API families, streamed and not",
    },
    'no-redirect': {
      requirements: ['SEC-7'],
      summary:
        'a provider answering 307 to another loopback listener: the gateway does not follow it, so that listener sees no request',
    },
    'no-set-cookie': {
      requirements: ['GW-20'],
      summary: "a provider's Set-Cookie is relayed neither on JSON nor on streamed answers",
    },
    'no-account-headers': {
      requirements: ['GW-20'],
      severity: 'warning',
      summary:
        'openai-organization, openai-project, x-ratelimit-* and the Anthropic equivalents are not relayed',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai', 'anthropic'],
        models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
      },
    });
    await check('upstream-credential', async () => {
      // Every way an app can present itself, on both families, streamed and not: a rule kept on
      // one path and lost on another is still a leak. The DPoP connection sends a DPoP header,
      // and the Anthropic calls of the Bearer connection present the token as x-api-key, as the
      // Anthropic SDK does, so each forbidden header is sent where it would be forwarded.
      const bound = await app.connect(clients.dpop ?? clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai', 'anthropic'],
          models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
        },
        dpop: true,
      });
      const canary = `canary-${crypto.randomUUID()}`;
      const appHeaders = { cookie: `session=${canary}`, 'allowance-canary': canary };
      const secrets = [connection.accessToken, bound.accessToken, canary];
      for (const stream of [false, true]) {
        for (const presented of [connection, bound]) {
          sim.clearCalls();
          const openai = await callGateway(wallet.gateway, '/v1/chat/completions', presented, {
            body: chatBody({ stream }),
            headers: { ...appHeaders, 'x-api-key': canary },
          });
          expectEqual(openai.status, 200, `status of the OpenAI-shaped call (stream ${stream})`);
          const messages = {
            model: 'claude-haiku-4-5',
            max_tokens: 20,
            stream,
            messages: [{ role: 'user', content: 'Hi' }],
          };
          const anthropic = presented.dpopKey
            ? await callGateway(wallet.gateway, '/v1/messages', presented, {
                body: messages,
                headers: appHeaders,
              })
            : await callGateway(wallet.gateway, '/v1/messages', null, {
                body: messages,
                headers: { ...appHeaders, 'x-api-key': presented.accessToken },
              });
          expectEqual(anthropic.status, 200, `status of the Anthropic-shaped call (stream ${stream})`);
          await sim.idle();
          const calls = sim.calls;
          expectEqual(calls.length, 2, 'provider calls');
          for (const call of calls) {
            const what = `the ${call.provider} call (${presented.dpopKey ? 'DPoP' : 'Bearer'}, stream ${stream})`;
            const expected =
              call.family === 'openai'
                ? call.headers.authorization === `Bearer ${sim.apiKey(call.provider)}` &&
                  call.headers['x-api-key'] === undefined
                : call.headers['x-api-key'] === sim.apiKey(call.provider) &&
                  call.headers.authorization === undefined;
            expect(expected, `${what} did not carry exactly the user's ${call.provider} key`);
            for (const [name, value] of Object.entries(call.headers)) {
              expect(name !== 'cookie' && name !== 'dpop', `${what} carried a ${name} header`);
              expect(!name.startsWith('allowance-'), `${what} carried ${name}`);
              expect(
                secrets.every((secret) => !value.includes(secret)),
                `${what}: its ${name} header carries the app's token, proof or cookie`,
              );
            }
          }
        }
      }
    });
    await check('no-redirect', async () => {
      const hits: string[] = [];
      const elsewhere = createServer((request, response) => {
        hits.push(
          `${request.method} ${request.url} authorization=${request.headers.authorization ? 'yes' : 'no'}`,
        );
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
      const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/v1/chat/completions`;
      try {
        sim.setRules([{ provider: 'openai', redirectTo: target }]);
        const response = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
          body: chatBody(),
        });
        expectEqual(hits, [], 'requests the redirect target received');
        expect(response.status !== 200, 'the call succeeded although the provider only redirected');
      } finally {
        sim.setRules([]);
        elsewhere.closeAllConnections();
        await new Promise((resolve) => elsewhere.close(resolve));
      }
    });
    const relayed = async (): Promise<HttpResponse[]> => {
      sim.setRules([{ setCookie: true }]);
      try {
        return [
          await callGateway(wallet.gateway, '/v1/chat/completions', connection, { body: chatBody() }),
          await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
            body: chatBody({ stream: true }),
          }),
          await callGateway(wallet.gateway, '/v1/messages', connection, {
            body: { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] },
          }),
        ];
      } finally {
        sim.setRules([]);
      }
    };
    await check('no-set-cookie', async () => {
      for (const response of await relayed()) {
        expectEqual(response.status, 200, 'status');
        expect(response.headers.get('set-cookie') === null, "the provider's Set-Cookie was relayed");
      }
    });
    await check('no-account-headers', async () => {
      for (const response of await relayed()) {
        const leaked = [...response.headers.keys()].filter((name) => ACCOUNT_HEADER.test(name));
        expectEqual(leaked, [], 'account headers relayed');
      }
    });
  },
});
