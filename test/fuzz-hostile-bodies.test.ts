import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// Hostile bodies sent with a valid token, so that they get past authentication to the steps
// that read content: input counting (spec MTR-14) and forwarding. Deep nesting (GW-7), giant
// runs of one character, huge message counts, wrong types and broken JSON, at every gateway route
// and every OAuth endpoint the wallet advertises. Never a 5xx, the wallet still answers, and no
// refused request moves a counter or writes a ledger row (GW-15). Seeded and bounded: it runs in
// CI, twice.

const SEED = 20261203;
const MODELS = ['gpt-4.1-mini', 'claude-sonnet-4-6', 'text-embedding-3-small'];
/** Any estimate above this is refused at step 8, so giant bodies are counted but never forwarded. */
const MAX_INPUT = 8_000;
const REGISTRATION_TOKEN = 'fuzz-initial-access-token';

let harness: Harness;
let token: string;
let grantId: string;

/** Everything a refused request must leave as it was: counters, reservations, ledger rows. */
async function books() {
  const database = harness.store.database;
  const counters = await database.selectFrom('usage_counters').selectAll().execute();
  const reservations = await database.selectFrom('reservations').select('id').execute();
  const ledger = await database
    .selectFrom('ledger')
    .select(['id', 'cost_micros'])
    .where('grant_id', '=', grantId)
    .execute();
  return {
    spent: counters.reduce((sum, row) => sum + (row.kind === 'money' ? Number(row.spent) : 0), 0),
    reserved: counters.reduce((sum, row) => sum + Number(row.reserved), 0),
    reservations: reservations.length,
    rows: ledger.length,
    billed: ledger.reduce((sum, row) => sum + Number(row.cost_micros), 0),
  };
}

/** Metered calls that reached the provider: the only ones that may write a row or bill. */
const forwarded = () => harness.sim.calls.filter((call) => !call.path.endsWith('/count_tokens')).length;

/**
 * What a run of requests may have changed: one ledger row per forwarded call (spec MTR-27), the
 * counters by exactly what the rows billed, nothing left reserved; a refused request changes
 * nothing (GW-15).
 */
async function expectOnlyForwardedCallsBilled(before: Awaited<ReturnType<typeof books>>, calls: number) {
  // A call settles just after its answer is written: wait for the books, not for a time.
  await vi.waitFor(async () => {
    const after = await books();
    expect(after.rows - before.rows).toBe(forwarded() - calls);
    expect(after.spent - before.spent).toBe(after.billed - before.billed);
    expect([after.reserved, after.reservations]).toEqual([0, 0]);
  });
}

const deep = (depth: number, inner = '"x"') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** A chat or message body around `content`, a JSON text. */
const conversation = (model: string, content: string, extra = '') =>
  `{"model":${JSON.stringify(model)},"max_tokens":16${extra},"messages":[{"role":"user","content":${content}}]}`;

/** Characters whose long runs are costly to tokenize: letters, spaces, newlines, emoji, CJK, marks. */
const RUNS = ['a', ' ', '\n', '\t', '!', '😀', '中', '\u0301', 'Ж', '/\n'];

const MEBIBYTE = 1024 * 1024;

/** The bodies of the attack: each the worst of its kind, near the 4 MiB limit. */
function giantBodies(model: string): string[] {
  const tiny = Array.from({ length: 100_000 }, () => '{"role":"user","content":"hi"}').join(',');
  return [
    conversation(model, JSON.stringify('a'.repeat(4 * MEBIBYTE - 200))),
    conversation(model, JSON.stringify(' '.repeat(2 * MEBIBYTE))),
    conversation(model, JSON.stringify('😀'.repeat(MEBIBYTE / 2))),
    conversation(model, JSON.stringify('中'.repeat(MEBIBYTE))),
    `{"model":${JSON.stringify(model)},"max_tokens":16,"messages":[${tiny}]}`,
    conversation(model, deep(20_000)),
    conversation(model, '"hi"', `,"tools":${deepObject(20_000)}`),
    conversation(model, deep(129)),
    conversation(model, deep(2_000_000 - 100, '')),
  ];
}

const model = fc.constantFrom(...MODELS, 'gpt-4o', 'openai/gpt-4.1-mini', '', 'x'.repeat(300));

/** Bodies of every hostile shape, as the text sent: the generator fast-check explores. */
const hostileBody = fc.oneof(
  // Nesting past the limit, in content, in a tool, in an embedding's input, as objects.
  fc
    .tuple(
      model,
      fc.integer({ min: 129, max: 30_000 }),
      fc.constantFrom('content', 'tools', 'input', 'object'),
    )
    .map(([name, depth, where]) =>
      where === 'content'
        ? conversation(name, deep(depth))
        : where === 'tools'
          ? conversation(name, '"hi"', `,"tools":${deep(depth, '{}')}`)
          : where === 'input'
            ? `{"model":${JSON.stringify(name)},"input":${deep(depth)}}`
            : conversation(name, deepObject(depth)),
    ),
  // Runs of one character, short enough to be forwarded or long enough to be refused.
  fc
    .tuple(model, fc.constantFrom(...RUNS), fc.constantFrom(1, 500, 3_000, 100_000, 400_000))
    .map(([name, run, times]) => conversation(name, JSON.stringify(run.repeat(times)))),
  // Many messages.
  fc
    .tuple(model, fc.integer({ min: 1, max: 20_000 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([name, count, content]) =>
      JSON.stringify({
        model: name,
        max_tokens: 8,
        messages: Array.from({ length: count }, () => ({ role: 'user', content })),
      }),
    ),
  // Wrong types anywhere the gateway reads.
  fc
    .record(
      {
        model: fc.oneof(model, fc.jsonValue()),
        messages: fc.jsonValue(),
        input: fc.jsonValue(),
        max_tokens: fc.jsonValue(),
        max_completion_tokens: fc.jsonValue(),
        n: fc.jsonValue(),
        stream: fc.jsonValue(),
        stream_options: fc.jsonValue(),
        tools: fc.jsonValue(),
        system: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc
    .tuple(model, fc.jsonValue({ maxDepth: 6 }))
    .map(([name, content]) =>
      JSON.stringify({ model: name, max_tokens: 8, messages: [{ role: 'user', content }] }),
    ),
  // Broken JSON: cut short, or not JSON at all.
  fc
    .tuple(model, fc.integer({ min: 1, max: 60 }))
    .map(([name, cut]) => conversation(name, '"hello"').slice(0, cut)),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

const POST_ROUTES = ['/v1/chat/completions', '/v1/messages', '/v1/messages/count_tokens', '/v1/embeddings'];
const GET_ROUTES = ['/v1/models', '/v1/allowance', '/v1/confirmations/nope', '/v1/nope'];

async function send(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${harness.wallet.gateway}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      ...headers,
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}

async function expectNoServerError(path: string, body: string) {
  const answer = await send(path, body);
  expect(answer.status, `${path} ${body.slice(0, 120)} → ${answer.body.slice(0, 300)}`).toBeLessThan(500);
  return answer;
}

beforeAll(async () => {
  // A fuzz run is a burst: the anomaly detector must not suspend the grant halfway through.
  harness = await startHarness({ gatewayOptions: { anomalyBurstCalls: 1_000_000_000 } });
  // Registration is on only with an initial access token (spec §2.2): give the wallet one, so
  // that the fuzz reaches the registration endpoint's parsing of client metadata too.
  const configPath = join(harness.dataDirectory, 'config.json');
  const settings = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath, JSON.stringify({ ...settings, registrationToken: REGISTRATION_TOKEN }));
  await harness.restart();
  const browser = await userWithKeys(harness, 'fuzz-bodies@example.com');
  ({ accessToken: token, grantId } = await connectApp(harness, browser, {
    providers: ['openai', 'anthropic'],
    models: MODELS,
    budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'day' }] },
    tokens: { max_input_per_request: MAX_INPUT, max_output_per_request: 50 },
  }));
}, 60_000);
afterAll(async () => {
  await harness?.close();
});

describe('hostile bodies with a valid token (spec GW-7, GW-15, MTR-14)', () => {
  it('refuses nesting past 128 levels with 400 invalid_request in each API shape, reserving nothing', async () => {
    const before = await books();
    const calls = forwarded();
    for (const [path, family] of [
      ['/v1/chat/completions', 'openai'],
      ['/v1/embeddings', 'openai'],
      ['/v1/messages', 'anthropic'],
      ['/v1/messages/count_tokens', 'anthropic'],
    ] as const) {
      const body =
        path === '/v1/embeddings'
          ? `{"model":"text-embedding-3-small","input":${deep(20_000)}}`
          : conversation(
              path.startsWith('/v1/messages') ? 'claude-sonnet-4-6' : 'gpt-4.1-mini',
              deep(20_000),
            );
      const answer = await send(path, body);
      expect(answer.status, answer.body).toBe(400);
      const error = JSON.parse(answer.body) as Record<string, unknown>;
      if (family === 'openai')
        expect(error).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_request' } });
      else
        expect(error).toMatchObject({
          type: 'error',
          error: { type: 'invalid_request_error', code: 'invalid_request' },
        });
    }
    // At the limit (128 levels, the outer object included), the body is counted and forwarded.
    const atTheLimit = conversation('gpt-4.1-mini', '"hi"', `,"x_nested":${deep(127)}`);
    const answer = await send('/v1/chat/completions', atTheLimit);
    expect(answer.status, answer.body).toBe(200);
    expect(forwarded()).toBe(calls + 1);
    await expectOnlyForwardedCallsBilled(before, calls);
  });

  it('answers the giant bodies of the attack without a 5xx, counting them but forwarding none', async () => {
    const before = await books();
    const calls = forwarded();
    const allCalls = harness.sim.calls.length;
    for (const path of POST_ROUTES) {
      const name =
        path === '/v1/embeddings'
          ? 'text-embedding-3-small'
          : path.startsWith('/v1/messages')
            ? 'claude-sonnet-4-6'
            : 'gpt-4.1-mini';
      for (const body of giantBodies(name)) {
        const answer = await expectNoServerError(path, body);
        if (path !== '/v1/messages/count_tokens')
          expect(answer.status, answer.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
      }
    }
    // Nothing metered reached the provider (count_tokens is answered by it, free).
    expect(forwarded()).toBe(calls);
    expect(harness.sim.calls.length).toBeGreaterThan(allCalls);
    expect(await books()).toEqual(before);
  }, 60_000);

  it('fuzzes every gateway route with seeded hostile bodies: no 5xx, no money moved by a refusal', async () => {
    const before = await books();
    const calls = forwarded();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POST_ROUTES), hostileBody, async (path, body) => {
        await expectNoServerError(path, body);
      }),
      { seed: SEED, numRuns: 250 },
    );
    for (const path of GET_ROUTES) {
      const answer = await fetch(
        `${harness.wallet.gateway}${path}?${'x'.repeat(10_000)}=${'['.repeat(5_000)}`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      await answer.arrayBuffer();
      expect(answer.status, path).toBeLessThan(500);
    }
    await expectOnlyForwardedCallsBilled(before, calls);
  }, 60_000);

  it('fuzzes the OAuth endpoints the wallet advertises with the same bodies, as form and as JSON', async () => {
    const metadata = (await (
      await fetch(`${harness.wallet.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    const endpoints = [
      'token_endpoint',
      'pushed_authorization_request_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
      'registration_endpoint',
      'device_authorization_endpoint',
    ]
      .map((name) => metadata[name])
      .filter((value): value is string => typeof value === 'string');
    expect(endpoints).toHaveLength(6);
    const field = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom(...RUNS).map((run) => run.repeat(200_000)),
      fc.integer({ min: 129, max: 20_000 }).map((depth) => deep(depth)),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
    );
    const form = fc.dictionary(
      fc.constantFrom(
        'grant_type',
        'client_id',
        'client_secret',
        'code',
        'refresh_token',
        'token',
        'redirect_uri',
        'resource',
        'authorization_details',
        'scope',
        'device_code',
        'redirect_uris',
      ),
      field,
      { maxKeys: 6 },
    );
    // Client metadata for registration, of every wrong size, shape and type.
    const clientMetadata = fc
      .record(
        {
          redirect_uris: fc.oneof(fc.array(field, { maxLength: 3 }), field, fc.jsonValue({ maxDepth: 3 })),
          client_name: field,
          grant_types: fc.oneof(
            fc.array(fc.constantFrom('authorization_code', 'refresh_token', 'x')),
            fc.jsonValue(),
          ),
          token_endpoint_auth_method: fc.oneof(
            fc.constantFrom('none', 'client_secret_basic', 'private_key_jwt'),
            field,
          ),
          jwks: fc.oneof(
            fc.jsonValue({ maxDepth: 4 }),
            fc.constant({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a'.repeat(200_000) }] }),
          ),
          authorization_details_types: fc.jsonValue({ maxDepth: 3 }),
        },
        { requiredKeys: [] },
      )
      .map((value) => ({ type: 'application/json', body: JSON.stringify(value) }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...endpoints),
        fc.oneof(
          form.map((fields) => ({
            type: 'application/x-www-form-urlencoded',
            body: new URLSearchParams(fields).toString(),
          })),
          form.map((fields) => ({ type: 'application/json', body: JSON.stringify(fields) })),
          hostileBody.map((body) => ({ type: 'application/json', body })),
          clientMetadata,
        ),
        fc.constantFrom(
          `Bearer ${token}`,
          `Bearer ${REGISTRATION_TOKEN}`,
          'Basic Og==',
          'Basic YmxvZy1hc3Npc3RhbnQ6d3Jvbmc=',
          '',
        ),
        async (url, { type, body }, authorization) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': type, ...(authorization && { authorization }) },
            body,
          });
          const text = await response.text();
          expect(response.status, `${url} ${body.slice(0, 120)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  }, 60_000);

  it('still answers afterwards: metadata, and a good call that bills once', async () => {
    const metadata = await fetch(`${harness.wallet.issuer}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    const before = await books();
    const calls = forwarded();
    const answer = await send('/v1/chat/completions', conversation('gpt-4.1-mini', '"still there?"'));
    expect(answer.status, answer.body).toBe(200);
    expect(forwarded()).toBe(calls + 1);
    await expectOnlyForwardedCallsBilled(before, calls);
    expect((await books()).billed).toBeGreaterThan(before.billed);
  });
});
