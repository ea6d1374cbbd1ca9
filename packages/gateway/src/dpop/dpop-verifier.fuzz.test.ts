import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DpopOutcome } from './dpop-outcome.js';
import { createDpopVerifier, type DpopCheck } from './dpop-verifier.js';
import { memoryReplayCache } from './replay-cache.js';
import { rotatingNonces } from './rotating-nonces.js';
import { createTestKey, encodePart, proofClaims, signProof, type TestKey } from './test-proofs.js';

// Hostile input must only ever produce a refusal: never an exception, never an acceptance.

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const REQUEST_URL = 'https://gateway.example/v1/messages';
const TOKEN = 'access-token';
/** RFC 6750 §3: the characters an error_description may contain. */
const DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

let key: TestKey;
const verify = createDpopVerifier({ replayCache: memoryReplayCache({ now: () => NOW }), now: () => NOW });

beforeAll(async () => {
  key = await createTestKey('ES256');
});

function check(proofs: unknown): DpopCheck {
  return {
    proofs: proofs as string[],
    method: 'POST',
    url: REQUEST_URL,
    accessToken: TOKEN,
    expectedThumbprint: key.thumbprint,
  };
}

function expectRefusal(outcome: DpopOutcome) {
  expect(outcome.ok).toBe(false);
  if (!outcome.ok) {
    expect(outcome.error).toBe('invalid_dpop_proof');
    expect(outcome.description).toMatch(DESCRIPTION);
  }
}

const base64urlPart = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_'.split('')), maxLength: 40 });
const jsonPart = fc.jsonValue({ maxDepth: 3 }).map((value) => encodePart(JSON.stringify(value) ?? 'null'));

describe('the DPoP verifier under fuzzing', () => {
  it('refuses random strings and values as the proof', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), async (proof) => {
        expectRefusal(await verify(check([proof])));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses random values as the list of proofs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (proofs) => {
        expectRefusal(await verify(check(proofs)));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses random compact JWS shapes with JSON parts', async () => {
    const header = fc.oneof(
      jsonPart,
      fc
        .record(
          {
            typ: fc.oneof(fc.constant('dpop+jwt'), fc.string()),
            alg: fc.constantFrom('ES256', 'EdDSA', 'none', 'HS256', 'RS256', ''),
            jwk: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
          },
          { requiredKeys: [] },
        )
        .map((value) => encodePart(value)),
    );
    await fc.assert(
      fc.asyncProperty(
        header,
        fc.oneof(jsonPart, base64urlPart),
        base64urlPart,
        async (first, second, third) => {
          expectRefusal(await verify(check([`${first}.${second}.${third}`])));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses properly signed proofs whose header and claims are randomly altered', async () => {
    const valid = () =>
      proofClaims({ method: 'POST', url: REQUEST_URL, accessToken: TOKEN, nowMilliseconds: NOW });
    const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
    const alteration = fc.record(
      {
        claims: fc.dictionary(fc.constantFrom('jti', 'htm', 'htu', 'iat', 'ath', 'nonce'), claimValue, {
          minKeys: 1,
        }),
        header: fc.dictionary(fc.constantFrom('typ', 'jwk', 'kid', 'x5u'), claimValue),
      },
      { requiredKeys: ['claims'] },
    );
    // A nonce is ignored without nonces, a non-empty string jti is as good as any, and kid and x5u
    // mean nothing to DPoP: any other change breaks a rule.
    const isHarmless = (
      claims: Record<string, unknown>,
      header: Record<string, unknown>,
      fresh: Record<string, unknown>,
    ) =>
      !Object.hasOwn(header, 'jwk') &&
      (!Object.hasOwn(header, 'typ') || header.typ === 'dpop+jwt') &&
      Object.entries(claims).every(
        ([name, value]) =>
          name === 'nonce' ||
          (name === 'jti' ? typeof value === 'string' && value.length > 0 : value === fresh[name]),
      );
    await fc.assert(
      fc.asyncProperty(alteration, async ({ claims, header = {} }) => {
        const fresh = valid();
        const altered = { ...fresh, ...claims };
        const proof = await signProof(key, JSON.parse(JSON.stringify(altered)), header);
        const outcome = await verify(check([proof]));
        if (!isHarmless(claims, header, fresh)) expectRefusal(outcome);
      }),
      { numRuns: 400 },
    );
  });

  it('answers use_dpop_nonce or invalid_dpop_proof, never success, for random nonces', async () => {
    const nonces = rotatingNonces({ secret: new Uint8Array(32).fill(9), now: () => NOW });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })), async (nonce) => {
        const claims = {
          ...proofClaims({ method: 'POST', url: REQUEST_URL, accessToken: TOKEN, nowMilliseconds: NOW }),
          nonce,
        };
        const outcome = await verify({ ...check([await signProof(key, claims)]), nonces });
        expect(outcome).toMatchObject({ ok: false, error: 'use_dpop_nonce', nonce: nonces.current() });
      }),
      { numRuns: 200 },
    );
  });
});
