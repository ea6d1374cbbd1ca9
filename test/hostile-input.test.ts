import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// Generated hostile input against a running wallet (issue 6): malformed bodies, headers and
// tokens at the gateway, the token endpoint and the authorization endpoint. Never a 5xx, never
// a dropped connection, never a balance change; good requests still work afterwards.

let harness: Harness;
let token: string;
let grantId: string;

async function balance() {
  const counters = await harness.store.database
    .selectFrom('usage_counters')
    .selectAll()
    .where('subject', '=', grantId)
    .execute();
  return counters.map((row) => [row.period_key, Number(row.spent), Number(row.reserved)]);
}

/** A token with a few characters changed: right shape, wrong signature (or claims). */
const mutatedToken = () =>
  fc
    .array(fc.tuple(fc.nat(), fc.constantFrom(...'ABCabc012-_.')), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      const characters = [...token];
      for (const [position, character] of edits) characters[position % characters.length] = character;
      return characters.join('');
    });

const body = fc.oneof(
  fc.json(),
  fc.string(),
  fc.jsonValue().map((value) => JSON.stringify({ model: 'gpt-4.1-mini', messages: value })),
  fc
    .record({
      model: fc.jsonValue(),
      messages: fc.jsonValue(),
      max_tokens: fc.jsonValue(),
      stream: fc.jsonValue(),
    })
    .map((value) => JSON.stringify(value)),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

const authorization = () =>
  fc.oneof(
    fc.constant(`Bearer ${token}`),
    mutatedToken().map((value) => `Bearer ${value}`),
    fc.string().map((value) => `Bearer ${value}`),
    fc.string(),
    fc.constant(`DPoP ${token}`),
    fc.constant(''),
  );

beforeAll(async () => {
  harness = await startHarness();
  const browser = await userWithKeys(harness, 'fuzz@example.com');
  ({ accessToken: token, grantId } = await connectApp(harness, browser, {
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'claude-sonnet-4-6'],
    budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    tokens: { max_output_per_request: 50 },
  }));
});
afterAll(async () => {
  await harness?.close();
});

describe('hostile input never breaks the wallet or moves money', () => {
  it('at the gateway: thousands of malformed bodies, headers and tokens', async () => {
    const before = await balance();
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v1/chat/completions',
          '/v1/messages',
          '/v1/embeddings',
          '/v1/messages/count_tokens',
          '/v1/allowance',
          '/v1/nope',
        ),
        body,
        // Only authorizations that cannot be valid: a real token is reserved for the final check.
        authorization().filter((value) => value !== `Bearer ${token}`),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
        async (path, payload, auth, contentType) => {
          const response = await fetch(`${harness.wallet.gateway}${path}`, {
            method: 'POST',
            headers: {
              ...(auth && { authorization: auth }),
              ...(contentType && { 'content-type': contentType }),
            },
            body: payload,
          });
          await response.arrayBuffer();
          statuses.add(response.status);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 1200 },
    );
    expect(await balance()).toEqual(before);
    expect([...statuses].every((status) => status >= 400)).toBe(true);
  });

  it('at the token and authorization endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'grant_type',
            'code',
            'refresh_token',
            'client_id',
            'redirect_uri',
            'code_verifier',
            'resource',
            'device_code',
          ),
          fc.string(),
        ),
        async (fields) => {
          const response = await fetch(`${harness.wallet.issuer}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(fields).toString(),
          });
          await response.arrayBuffer();
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'client_id',
            'redirect_uri',
            'response_type',
            'code_challenge',
            'code_challenge_method',
            'resource',
            'authorization_details',
            'state',
            'request_uri',
          ),
          fc.oneof(fc.string(), fc.json()),
        ),
        async (fields) => {
          const response = await fetch(`${harness.wallet.issuer}/auth?${new URLSearchParams(fields)}`, {
            redirect: 'manual',
          });
          await response.arrayBuffer();
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('still serves a good request afterwards', async () => {
    const response = await fetch(`${harness.wallet.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'still there?' }] }),
    });
    expect(response.status).toBe(200);
  });
});
