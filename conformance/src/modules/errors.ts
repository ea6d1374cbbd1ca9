import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { type HttpResponse, member } from '../wire/http.js';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
};

function expectOpenAIShape(response: HttpResponse, what: string): void {
  expect(
    /^application\/json/.test(response.headers.get('content-type') ?? ''),
    `${what}: not application/json`,
  );
  const error = member(response.json, 'error') as Record<string, unknown> | undefined;
  expect(error && typeof error === 'object', `${what}: no error object`);
  for (const name of ['message', 'type', 'code'])
    expect(typeof error[name] === 'string', `${what}: error.${name} is not a string`);
  expect('param' in error && error.param === null, `${what}: error.param is not null`);
  expectEqual(error.type, TYPES[response.status], `${what}: error.type for ${response.status}`);
}

/** Error bodies, types, codes and Retry-After (Part 5 §5.9) and the grant rate limit (Part 6 §6.9). */
export const errorsModule = defineModule({
  name: 'errors',
  plan: 'core',
  kind: 'http',
  summary: 'Error shapes per API family, type by status, rate limiting with Retry-After',
  checks: {
    'openai-shape': {
      requirements: ['GW-22', 'GW-23', 'GW-24'],
      summary:
        'OpenAI-family errors (400, 401, 403, 404, 405, 402) have the OpenAI shape and the type of their status',
    },
    'anthropic-shape': {
      requirements: ['GW-22', 'GW-23'],
      summary: 'errors on /v1/messages have the Anthropic shape {type:"error", error:{type, message, code}}',
    },
    'rate-limited': {
      requirements: ['MTR-28', 'GW-27', 'GW-24'],
      summary:
        'with requests_per_minute 30, a burst of 30 passes, the 31st gets 429 rate_limited with Retry-After 1 or 2, and after that wait exactly one call passes',
    },
  },
  async run({ check, app, clients, wallet }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai', 'anthropic'],
        models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
        budget: { currency: 'USD', limits: [{ amount: '0.01', period: 'day' }] },
      },
    });
    await check('openai-shape', async () => {
      const cases: [string, Promise<HttpResponse>][] = [
        ['invalid_json', callGateway(wallet.gateway, '/v1/chat/completions', connection, { raw: '{' })],
        ['token_required', callGateway(wallet.gateway, '/v1/chat/completions', null, { body: chatBody() })],
        [
          'model_not_allowed',
          callGateway(wallet.gateway, '/v1/chat/completions', connection, {
            body: chatBody({ model: 'gpt-5' }),
          }),
        ],
        ['not_found', callGateway(wallet.gateway, '/v1/nothing-here', connection)],
        ['method_not_allowed', callGateway(wallet.gateway, '/v1/embeddings', connection, { method: 'GET' })],
        [
          'budget_exhausted',
          callGateway(wallet.gateway, '/v1/chat/completions', connection, {
            body: chatBody({ max_tokens: 1_000_000 }),
          }),
        ],
      ];
      for (const [code, pending] of cases) {
        const response = await pending;
        expectEqual(errorCode(response), code, `code of the ${code} case`);
        expectOpenAIShape(response, code);
      }
    });
    await check('anthropic-shape', async () => {
      const response = await callGateway(wallet.gateway, '/v1/messages', connection, {
        body: { model: 'claude-opus-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
      });
      expectEqual(response.status, 403, 'status');
      expectEqual(member(response.json, 'type'), 'error', 'top-level type');
      expectEqual(member(response.json, 'error', 'type'), 'permission_error', 'error.type');
      expectEqual(member(response.json, 'error', 'code'), 'model_not_allowed', 'error.code');
      expect(typeof member(response.json, 'error', 'message') === 'string', 'error.message is not a string');
    });
    await check('rate-limited', async () => {
      // r = 30: capacity 30, one token back every 2 s. A burst of exactly r passes, the next call
      // is refused with Retry-After the whole seconds until one token is back (1 or 2 here), and
      // once that wait is over exactly one call passes again.
      const limited = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          rate: { requests_per_minute: 30 },
        },
      });
      const call = () =>
        callGateway(wallet.gateway, '/v1/chat/completions', limited, { body: chatBody({ max_tokens: 5 }) });
      const burst = await Promise.all(Array.from({ length: 30 }, call));
      expectEqual(
        burst.map((response) => response.status),
        Array.from({ length: 30 }, () => 200),
        'statuses of a burst of requests_per_minute calls',
      );
      const refused = await call();
      expectEqual([refused.status, errorCode(refused)], [429, 'rate_limited'], 'the call after the burst');
      expectOpenAIShape(refused, 'rate_limited');
      const retryAfter = refused.headers.get('retry-after') ?? '';
      expect(
        retryAfter === '1' || retryAfter === '2',
        `Retry-After is ${retryAfter || 'absent'}; with one token back every 2 s it must be 1 or 2`,
      );
      await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000 + 150));
      const after = await call();
      expectEqual(after.status, 200, `a call once the Retry-After of ${retryAfter} s is over`);
      const next = await call();
      expectEqual(
        [next.status, errorCode(next)],
        [429, 'rate_limited'],
        'the call right after it (the bucket held one token)',
      );
    });
  },
});
