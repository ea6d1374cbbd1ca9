import type { ProviderSim } from '@allowance/provider-sim';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUpstream, type Upstream } from './create-upstream.js';
import type { UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';
import type { UpstreamResult } from './upstream-result.js';
import {
  closedPort,
  recordingSink,
  simTarget,
  startFakeProvider,
  startFixedProviderSim,
  upstreamCall,
} from './upstream-test-support.js';

let sim: ProviderSim;
let upstream: Upstream;

beforeAll(async () => {
  sim = await startFixedProviderSim();
  upstream = createUpstream();
});
afterAll(async () => {
  await upstream.close();
  await sim.close();
});
beforeEach(() => {
  sim.setRules([]);
  sim.clearCalls();
});

const chat = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }] };
const message = { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] };

/** The failure of a result that must have failed, checked to hold no trace of `apiKey`. */
function failureOf(result: UpstreamResult, apiKey: string): UpstreamFailure {
  if (result.ok) throw new Error('expected a failure');
  expect(JSON.stringify(result.failure)).not.toContain(apiKey);
  return result.failure;
}

describe('upstream failures, as data', () => {
  it('returns a rejected key as a status failure with the provider body, never the key', async () => {
    const target = simTarget(sim, 'openai', 'sk-wrong-key-0123456789');
    const failure = failureOf(
      await upstream.call(upstreamCall('chat.completions', target, chat)),
      target.apiKey,
    );
    expect(failure).toMatchObject({
      kind: 'status',
      status: 401,
      requestId: 'req_fixed',
      body: { error: { code: 'invalid_api_key' } },
    });
  });

  it('passes on the retry-after of a 429', async () => {
    sim.setRules([{ fault: { status: 429, retryAfterSeconds: 7 } }]);
    const target = simTarget(sim, 'openai');
    const failure = failureOf(
      await upstream.call(upstreamCall('chat.completions', target, chat)),
      target.apiKey,
    );
    expect(failure).toMatchObject({ kind: 'status', status: 429, retryAfter: '7' });
  });

  it('returns 500 and 529 answers as status failures', async () => {
    sim.setRules([
      { provider: 'openai', fault: { status: 500 } },
      { provider: 'anthropic', fault: { status: 529 } },
    ]);
    const openai = await upstream.call(upstreamCall('chat.completions', simTarget(sim, 'openai'), chat));
    const anthropic = await upstream.call(upstreamCall('messages', simTarget(sim, 'anthropic'), message));
    expect(failureOf(openai, 'sk-sim-openai')).toMatchObject({ kind: 'status', status: 500 });
    expect(failureOf(anthropic, 'sk-ant-sim-anthropic')).toMatchObject({
      kind: 'status',
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error' } },
    });
  });

  it('returns a refused connection as a connect failure', async () => {
    const target: UpstreamTarget = {
      providerId: 'openai',
      api: 'openai',
      baseUrl: `http://127.0.0.1:${await closedPort()}/v1`,
      apiKey: 'sk-secret-closed-port-42',
    };
    const failure = failureOf(
      await upstream.call(upstreamCall('chat.completions', target, chat)),
      target.apiKey,
    );
    expect(failure.kind).toBe('connect');
    expect(failure.message).toContain('ECONNREFUSED');
  });

  it('returns a connection the provider drops before answering as a connect failure', async () => {
    sim.setRules([{ dropAfterTokens: 0 }]);
    const result = await upstream.call(upstreamCall('chat.completions', simTarget(sim, 'openai'), chat));
    expect(failureOf(result, 'sk-sim-openai').kind).toBe('connect');
  });

  // undici checks head timeouts on a timer wheel of about half a second.
  it('times out a provider that sends no response head in time', async () => {
    sim.setRules([{ hang: true }]);
    await using impatient = createUpstream({ headersTimeoutMs: 100 });
    const result = await impatient.call(upstreamCall('chat.completions', simTarget(sim, 'openai'), chat));
    expect(failureOf(result, 'sk-sim-openai').kind).toBe('timeout');
    await sim.idle();
    expect(sim.calls[0]?.outcome).toBe('aborted');
  });

  it('times out a call that outlives the whole-call limit', async () => {
    sim.setRules([{ hang: true }]);
    await using impatient = createUpstream({ callTimeoutMs: 100 });
    const started = Date.now();
    const result = await impatient.call(upstreamCall('chat.completions', simTarget(sim, 'openai'), chat));
    expect(failureOf(result, 'sk-sim-openai').kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    await sim.idle();
    expect(sim.calls[0]?.outcome).toBe('aborted');
  });

  it('aborts a JSON call when the app goes away', async () => {
    sim.setRules([{ hang: true }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const result = await upstream.call(
      upstreamCall('messages', simTarget(sim, 'anthropic'), message, { signal: controller.signal }),
    );
    expect(failureOf(result, 'sk-ant-sim-anthropic').kind).toBe('aborted');
    await sim.idle();
    expect(sim.calls[0]?.outcome).toBe('aborted');
  });
});

describe('what reaches the provider', () => {
  it('sends the key in the family header, drops the app credentials and keeps pass-through headers', async () => {
    const fake = await startFakeProvider((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': 'a=b',
        'x-ratelimit-limit': '9',
      });
      response.end('{"input_tokens":3}');
    });
    try {
      const target: UpstreamTarget = {
        providerId: 'corp',
        api: 'anthropic',
        baseUrl: `${fake.url}/proxy/?tenant=7`,
        apiKey: 'sk-ant-user-key',
      };
      const result = await upstream.call(
        upstreamCall('messages.count_tokens', target, message, {
          headers: {
            Authorization: 'Bearer app-access-token',
            'x-api-key': 'app-access-token',
            DPoP: 'proof',
            cookie: 'session=1',
            'Allowance-Provider': 'corp',
            'anthropic-beta': 'prompt-caching-2024-07-31',
          },
        }),
      );
      const [received] = fake.received;
      expect(received?.url).toBe('/proxy/v1/messages/count_tokens?tenant=7');
      expect(received?.headers).toMatchObject({
        'x-api-key': 'sk-ant-user-key',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'prompt-caching-2024-07-31',
        'content-type': 'application/json',
      });
      for (const name of ['authorization', 'dpop', 'cookie', 'allowance-provider']) {
        expect(received?.headers).not.toHaveProperty(name);
      }
      expect(JSON.parse(received?.body ?? '')).toEqual(message);
      expect(result.ok && result.headers).toEqual({ 'content-type': 'application/json' });
    } finally {
      await fake.close();
    }
  });

  it('never follows a redirect, so the key cannot be sent elsewhere', async () => {
    const elsewhere = await startFakeProvider((_request, response) => response.end('{}'));
    const redirecting = await startFakeProvider((_request, response) => {
      response.writeHead(307, { location: `${elsewhere.url}/v1/chat/completions` }).end();
    });
    try {
      const target: UpstreamTarget = {
        providerId: 'openai',
        api: 'openai',
        baseUrl: `${redirecting.url}/v1`,
        apiKey: 'sk-redirected-key',
      };
      const result = await upstream.call(upstreamCall('chat.completions', target, chat));
      expect(failureOf(result, target.apiKey)).toMatchObject({ kind: 'status', status: 307 });
      expect(redirecting.received[0]?.headers.authorization).toBe('Bearer sk-redirected-key');
      expect(elsewhere.received).toHaveLength(0);
    } finally {
      await elsewhere.close();
      await redirecting.close();
    }
  });

  it('redacts the key from an error body that echoes it', async () => {
    const fake = await startFakeProvider((request, response) => {
      const key = String(request.headers.authorization).slice('Bearer '.length);
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: `Key ${key} cannot use this model`, key } }));
    });
    try {
      const target: UpstreamTarget = {
        providerId: 'p',
        api: 'openai',
        baseUrl: `${fake.url}/v1`,
        apiKey: 'sk-echoed-key',
      };
      const failure = failureOf(
        await upstream.call(upstreamCall('chat.completions', target, chat)),
        target.apiKey,
      );
      expect(failure.body).toEqual({
        error: { message: 'Key [redacted] cannot use this model', key: '[redacted]' },
      });
    } finally {
      await fake.close();
    }
  });

  it('returns a 200 that is not JSON, or not an event stream when one was asked for, as a protocol failure', async () => {
    const fake = await startFakeProvider((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>');
    });
    try {
      const target: UpstreamTarget = {
        providerId: 'p',
        api: 'openai',
        baseUrl: `${fake.url}/v1`,
        apiKey: 'sk-x-key',
      };
      const json = await upstream.call(upstreamCall('chat.completions', target, chat));
      expect(failureOf(json, target.apiKey).kind).toBe('protocol');
      const sink = recordingSink();
      const stream = await upstream.stream(
        upstreamCall('chat.completions', target, { ...chat, stream: true }),
        sink,
      );
      expect(stream).toMatchObject({
        started: false,
        completed: false,
        failure: { kind: 'protocol', status: 200 },
      });
      expect(sink.starts).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('reports an error event inside a stream, already relayed to the app', async () => {
    const fake = await startFakeProvider((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(
        'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}\n\n',
      );
      response.end(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      );
    });
    try {
      const target: UpstreamTarget = {
        providerId: 'p',
        api: 'anthropic',
        baseUrl: fake.url,
        apiKey: 'sk-ant-x',
      };
      const sink = recordingSink();
      const result = await upstream.stream(
        upstreamCall('messages', target, { ...message, stream: true }),
        sink,
      );
      expect(result).toMatchObject({
        started: true,
        completed: false,
        clientAborted: false,
        usage: { inputTokens: 12, outputTokens: 1 },
        failure: { kind: 'error_event', body: { type: 'error', error: { type: 'overloaded_error' } } },
      });
      expect(sink.text()).toContain('event: error\n');
    } finally {
      await fake.close();
    }
  });
});

describe('createUpstream', () => {
  it('refuses a bad option, naming it', () => {
    expect(() => createUpstream({ connectTimeoutMs: -1 })).toThrow(/options\.connectTimeoutMs/);
  });

  it('refuses calls once closed, and leaves an injected dispatcher to its owner', async () => {
    const dispatcher = new Agent();
    const borrowed = createUpstream({ dispatcher });
    await borrowed.close();
    await borrowed.close();
    expect(() => borrowed.call(upstreamCall('chat.completions', simTarget(sim, 'openai'), chat))).toThrow(
      /closed/,
    );
    expect(dispatcher.closed).toBe(false);
    await dispatcher.close();
  });
});
