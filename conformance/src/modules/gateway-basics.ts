import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { member, send } from '../wire/http.js';

const EXPOSED = [
  'allowance-cost',
  'allowance-remaining',
  'allowance-currency',
  'www-authenticate',
  'dpop-nonce',
  'retry-after',
];

/** Routing, CORS, body limits and processing order (Part 5 §5.1, §5.3, §5.6). */
export const gatewayBasicsModule = defineModule({
  name: 'gateway-basics',
  plan: 'core',
  kind: 'http',
  summary: 'Routes, CORS, body size and shape, order of checks, refusals that cost nothing',
  checks: {
    routes: {
      requirements: ['GW-1'],
      summary: 'an unknown path gets 404 not_found, a wrong method 405 method_not_allowed with Allow',
    },
    cors: {
      requirements: ['GW-2'],
      summary:
        'preflights are answered with the method and headers; other responses expose the metering headers',
    },
    'body-limit': {
      requirements: ['GW-6'],
      summary: 'a body over 4 MiB gets 413 request_too_large and reaches no provider',
    },
    'malformed-body': {
      requirements: ['GW-7'],
      summary: 'invalid JSON gets 400 invalid_json, a wrong shape 400 invalid_request, never a 5xx',
    },
    'deep-nesting': {
      requirements: ['GW-7', 'GW-22'],
      summary:
        'a body nested 129 levels deep gets 400 invalid_request in the endpoint family’s error shape on chat and messages, 20 000 levels too, never a 5xx; a valid call nested 128 levels deep is answered 200',
    },
    order: {
      requirements: ['GW-14'],
      summary:
        'an oversized body with a bad token gets 413; a model outside the grant that also exceeds the budget gets 403 model_not_allowed',
    },
    'refusals-free': {
      requirements: ['GW-15'],
      summary: 'refused requests reach no provider and leave spent and reserved unchanged',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '0.01', period: 'day' }] },
      },
    });
    const allowanceBefore = await callGateway(wallet.gateway, '/v1/allowance', connection);
    sim.clearCalls();
    await check('routes', async () => {
      const unknown = await callGateway(wallet.gateway, '/v1/unknown', connection);
      expectEqual([unknown.status, errorCode(unknown)], [404, 'not_found'], 'unknown path');
      const wrongMethod = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        method: 'GET',
      });
      expectEqual(
        [wrongMethod.status, errorCode(wrongMethod)],
        [405, 'method_not_allowed'],
        'GET on chat completions',
      );
      expect((wrongMethod.headers.get('allow') ?? '').includes('POST'), 'the 405 has no Allow: POST');
    });
    await check('cors', async () => {
      const preflight = await send(`${wallet.gateway}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, dpop, content-type, x-stainless-os',
        },
      });
      expect([200, 204].includes(preflight.status), `preflight status ${preflight.status}`);
      const origin = preflight.headers.get('access-control-allow-origin');
      expect(origin === '*' || origin === 'https://app.example', `Access-Control-Allow-Origin is ${origin}`);
      expect(
        (preflight.headers.get('access-control-allow-methods') ?? '').includes('POST'),
        'POST is not allowed',
      );
      const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const name of ['authorization', 'dpop', 'content-type', 'x-stainless-os']) {
        expect(allowed === '*' || allowed.includes(name), `header ${name} is not allowed`);
      }
      const normal = await callGateway(wallet.gateway, '/v1/allowance', connection, {
        headers: { origin: 'https://app.example' },
      });
      expect(
        normal.headers.get('access-control-allow-origin'),
        'no Access-Control-Allow-Origin on a normal response',
      );
      const exposed = (normal.headers.get('access-control-expose-headers') ?? '').toLowerCase();
      for (const name of EXPOSED) expect(exposed.includes(name), `${name} is not exposed`);
    });
    await check('body-limit', async () => {
      const huge = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        raw: JSON.stringify(chatBody({ padding: 'x'.repeat(4 * 1024 * 1024 + 16) })),
      });
      expectEqual([huge.status, errorCode(huge)], [413, 'request_too_large'], 'oversized body');
    });
    await check('malformed-body', async () => {
      const cases: [string, string, string][] = [
        ['{"model":', 'invalid_json', 'truncated JSON'],
        ['[1,2]', 'invalid_request', 'array body'],
        [JSON.stringify({ model: 'gpt-4.1-mini', messages: [] }), 'invalid_request', 'empty messages'],
        [JSON.stringify(chatBody({ max_tokens: -1 })), 'invalid_request', 'negative max_tokens'],
        [JSON.stringify(chatBody({ stream: 'yes' })), 'invalid_request', 'string stream'],
        [JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 'invalid_request', 'missing model'],
      ];
      for (const [raw, code, name] of cases) {
        const response = await callGateway(wallet.gateway, '/v1/chat/completions', connection, { raw });
        expectEqual([response.status, errorCode(response)], [400, code], name);
      }
    });
    await check('order', async () => {
      const oversized = await callGateway(
        wallet.gateway,
        '/v1/chat/completions',
        { accessToken: 'not.a.token' },
        {
          raw: JSON.stringify(chatBody({ padding: 'x'.repeat(4 * 1024 * 1024 + 16) })),
        },
      );
      expectEqual(
        [oversized.status, errorCode(oversized)],
        [413, 'request_too_large'],
        'oversized body with a bad token',
      );
      const both = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody({ model: 'gpt-4.1', max_tokens: 100_000 }),
      });
      expectEqual(
        [both.status, errorCode(both)],
        [403, 'model_not_allowed'],
        'model outside the grant and over budget',
      );
    });
    await check('refusals-free', async () => {
      const over = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody({ max_tokens: 100_000 }),
      });
      expectEqual(
        [over.status, errorCode(over)],
        [402, 'budget_exhausted'],
        'a call whose worst case exceeds the budget',
      );
      expectEqual(sim.calls.length, 0, 'calls that reached the provider during the refusals');
      const after = await callGateway(wallet.gateway, '/v1/allowance', connection);
      expectEqual(
        member(after.json, 'budget'),
        member(allowanceBefore.json, 'budget'),
        'budget entries before and after the refusals',
      );
    });
    // After refusals-free, whose books it would move: its last call is one the wallet forwards.
    await check('deep-nesting', async () => {
      const deep = await app.connect(clients.app, {
        details: { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
      });
      // The body object is the first level; a schema of nested `items` adds one level each.
      const nested = (levels: number) => {
        let schema: Record<string, unknown> = { type: 'string' };
        for (let level = 0; level < levels; level += 1) schema = { type: 'array', items: schema };
        return schema;
      };
      // body → response_format → json_schema → schema: 4 levels before the nesting starts.
      const body = (depth: number) =>
        chatBody({
          response_format: { type: 'json_schema', json_schema: { name: 'deep', schema: nested(depth - 4) } },
        });
      sim.clearCalls();
      const deepest = await callGateway(wallet.gateway, '/v1/chat/completions', deep, {
        raw: JSON.stringify(body(129)),
      });
      expectEqual([deepest.status, errorCode(deepest)], [400, 'invalid_request'], '129 levels on chat');
      const huge = `{"model":"gpt-4.1-mini","messages":[{"role":"user","content":${'['.repeat(20_000)}${']'.repeat(20_000)}}]}`;
      for (const path of ['/v1/chat/completions', '/v1/messages']) {
        const response = await callGateway(wallet.gateway, path, deep, { raw: huge });
        expectEqual(
          [response.status, errorCode(response)],
          [400, 'invalid_request'],
          `20 000 levels on ${path}`,
        );
        if (path === '/v1/messages')
          expectEqual(member(response.json, 'type'), 'error', 'the Anthropic error shape on /v1/messages');
        else
          expectEqual(typeof member(response.json, 'error', 'message'), 'string', 'the OpenAI error shape');
      }
      await sim.idle();
      expectEqual(sim.calls.length, 0, 'provider calls for bodies nested too deep');
      const allowed = await callGateway(wallet.gateway, '/v1/chat/completions', deep, {
        raw: JSON.stringify(body(128)),
      });
      // Within the limit the call goes through: a wallet that refuses it nests its limit too low.
      expectEqual(allowed.status, 200, `status of a body nested 128 levels: ${JSON.stringify(allowed.json)}`);
    });
  },
});
