import { randomBytes } from 'node:crypto';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessTokenHash } from './access-token-hash.js';
import type { DpopOutcome } from './dpop-outcome.js';
import { createDpopVerifier, type DpopCheck } from './dpop-verifier.js';
import { memoryReplayCache } from './replay-cache.js';
import { rotatingNonces } from './rotating-nonces.js';
import { createTestKey, encodePart, proofClaims, signProof, type TestKey } from './test-proofs.js';

// A negative suite in the manner of the OpenID Foundation's FAPI 2 DPoP tests: each case breaks
// one rule of RFC 9449 §4.3 / spec 07-security §7.3 and asserts the exact outcome.

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const REQUEST_URL = 'https://gateway.example/v1/chat/completions';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl';

let key: TestKey;
let otherKey: TestKey;

beforeAll(async () => {
  [key, otherKey] = await Promise.all([createTestKey('ES256'), createTestKey('ES256')]);
});

function setup(options: { now?: () => number } = {}) {
  const clock = { now: NOW };
  const now = options.now ?? (() => clock.now);
  const verify = createDpopVerifier({ replayCache: memoryReplayCache({ now }), now });
  return { verify, clock };
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = proofClaims({ method: 'POST', url: REQUEST_URL, accessToken: TOKEN, nowMilliseconds: NOW });
  const merged: Record<string, unknown> = { ...base, ...overrides };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
}

function check(proofs: string[], overrides: Partial<DpopCheck> = {}): DpopCheck {
  return {
    proofs,
    method: 'POST',
    url: REQUEST_URL,
    accessToken: TOKEN,
    expectedThumbprint: key.thumbprint,
    ...overrides,
  };
}

function refused(description: string): DpopOutcome {
  return { ok: false, error: 'invalid_dpop_proof', description };
}

async function outcomeOf(proof: string, overrides: Partial<DpopCheck> = {}): Promise<DpopOutcome> {
  return setup().verify(check([proof], overrides));
}

describe('accepted proofs', () => {
  it('accepts a valid ES256 proof and reports its jti', async () => {
    const payload = claims();
    expect(await outcomeOf(await signProof(key, payload))).toEqual({ ok: true, jti: payload.jti });
  });

  it('accepts a valid EdDSA (Ed25519) proof', async () => {
    const edKey = await createTestKey('EdDSA');
    expect(edKey.publicJwk.crv).toBe('Ed25519');
    const payload = claims();
    const outcome = await outcomeOf(await signProof(edKey, payload), {
      expectedThumbprint: edKey.thumbprint,
    });
    expect(outcome).toEqual({ ok: true, jti: payload.jti });
  });

  it('ignores the query and fragment of the request URL', async () => {
    const proof = await signProof(key, claims());
    expect(await outcomeOf(proof, { url: `${REQUEST_URL}?stream=true#top` })).toMatchObject({ ok: true });
  });

  it('ignores a query and fragment in htu too (RFC 9449 §4.3 step 9)', async () => {
    const proof = await signProof(key, claims({ htu: `${REQUEST_URL}?a=1#b` }));
    expect(await outcomeOf(proof, { url: `${REQUEST_URL}?other=2` })).toMatchObject({ ok: true });
  });

  it('compares htu after RFC 3986 normalization: case of scheme and host, default port, encoding', async () => {
    const variants = [
      'HTTPS://Gateway.EXAMPLE/v1/chat/completions',
      'https://gateway.example:443/v1/chat/completions',
      'https://gateway.example/v1/chat/%63ompletions',
      'https://gateway.example/v1/models/../chat/completions',
    ];
    for (const htu of variants) {
      expect(await outcomeOf(await signProof(key, claims({ htu }))), htu).toMatchObject({ ok: true });
    }
    const plain = await signProof(key, claims({ htu: 'http://gateway.example/v1' }));
    expect(await outcomeOf(plain, { url: 'http://GATEWAY.example:80/v1' })).toMatchObject({ ok: true });
  });

  it('accepts iat at both edges of the window', async () => {
    const past = await signProof(key, claims({ iat: NOW / 1000 - 300 }));
    const future = await signProof(key, claims({ iat: NOW / 1000 + 60 }));
    expect(await outcomeOf(past)).toMatchObject({ ok: true });
    expect(await outcomeOf(future)).toMatchObject({ ok: true });
  });
});

describe('the DPoP header (DPOP-6)', () => {
  it('refuses a request without a proof', async () => {
    expect(await setup().verify(check([]))).toEqual(
      refused('The request carries no DPoP proof; send one in the DPoP header.'),
    );
  });

  it('refuses two DPoP headers, even if both are valid', async () => {
    const proofs = [await signProof(key, claims()), await signProof(key, claims())];
    expect(await setup().verify(check(proofs))).toEqual(
      refused('The request carries more than one DPoP header.'),
    );
  });

  it.each([
    ['not a JWS', 'not a jws'],
    ['an empty value', ''],
    ['two parts', 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0'],
    ['four parts', 'a.b.c.d'],
    ['two proofs joined with a comma', 'a.b.c, d.e.f'],
    ['characters outside base64url', 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0=.c2ln'],
  ])('refuses %s', async (_name, proof) => {
    expect(await outcomeOf(proof)).toEqual(
      refused(
        proof === ''
          ? 'The DPoP header is not a JWS in compact serialization.'
          : 'The DPoP header is not a JWS in compact serialization (three base64url parts separated by dots).',
      ),
    );
  });

  it('refuses a header that is not base64url-encoded JSON', async () => {
    for (const header of ['abcde', encodePart('not json'), encodePart([1, 2]), encodePart('"typ"')]) {
      expect(await outcomeOf(`${header}.${encodePart(claims())}.c2ln`), header).toEqual(
        refused("The DPoP proof's protected header is not base64url-encoded JSON."),
      );
    }
  });

  it('refuses a signed payload that is not a JSON object', async () => {
    const signPayload = (payload: Uint8Array) =>
      new CompactSign(payload)
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
        .sign(key.privateKey);
    const cases: [Uint8Array, string][] = [
      [new TextEncoder().encode('not json'), "The DPoP proof's payload is not JSON."],
      [new Uint8Array([0x7b, 0xff, 0x7d]), "The DPoP proof's payload is not JSON."],
      [new TextEncoder().encode('[1,2]'), "The DPoP proof's payload is not a JSON object."],
      [new TextEncoder().encode('null'), "The DPoP proof's payload is not a JSON object."],
    ];
    for (const [payload, description] of cases) {
      expect(await outcomeOf(await signPayload(payload))).toEqual(refused(description));
    }
  });

  it('refuses a payload part that is not base64url, even when the signature over it verifies', async () => {
    const signingInput = `${encodePart({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })}.abcde`;
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      key.privateKey,
      new TextEncoder().encode(signingInput),
    );
    const proof = `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
    expect(await outcomeOf(proof)).toEqual(refused('The DPoP proof is not a well-formed JWS.'));
  });

  it('refuses a proof longer than 8192 characters', async () => {
    const proof = await signProof(key, claims({ padding: 'x'.repeat(9000) }));
    expect(await outcomeOf(proof)).toEqual(refused('The DPoP proof is longer than 8192 characters.'));
  });
});

describe('the JOSE header (DPOP-7, DPOP-8, DPOP-9)', () => {
  it.each([['jwt'], ['JWT'], ['DPOP+JWT'], ['application/dpop+jwt'], [undefined]])(
    'refuses typ %s',
    async (typ) => {
      expect(await outcomeOf(await signProof(key, claims(), { typ }))).toEqual(
        refused("The DPoP proof's typ header must be dpop+jwt."),
      );
    },
  );

  it('refuses alg none, built by hand with an empty signature', async () => {
    const header = { typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk };
    expect(await outcomeOf(`${encodePart(header)}.${encodePart(claims())}.`)).toEqual(
      refused('The DPoP proof is unsigned (alg none); sign it with one of ES256, EdDSA.'),
    );
  });

  it('refuses HS256, even with a key the verifier could use', async () => {
    const secret = randomBytes(32);
    const proof = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader({
        typ: 'dpop+jwt',
        alg: 'HS256',
        jwk: { kty: 'oct', k: secret.toString('base64url') } as JWK,
      })
      .sign(secret);
    expect(await outcomeOf(proof)).toEqual(
      refused(
        'The DPoP proof uses a symmetric MAC algorithm, not a signature; sign it with one of ES256, EdDSA.',
      ),
    );
  });

  it('refuses an asymmetric alg outside the allow-list, and a missing alg', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384');
    const es384 = {
      alg: 'ES384',
      privateKey,
      publicJwk: await exportJWK(publicKey),
      thumbprint: '',
    } as unknown as TestKey;
    expect(await outcomeOf(await signProof(es384, claims()))).toEqual(
      refused("The DPoP proof's alg is not accepted; sign it with one of ES256, EdDSA."),
    );
    const header = { typ: 'dpop+jwt', jwk: key.publicJwk };
    expect(await outcomeOf(`${encodePart(header)}.${encodePart(claims())}.c2ln`)).toEqual(
      refused('The DPoP proof has no alg header; sign it with one of ES256, EdDSA.'),
    );
  });

  it('refuses a proof without jwk', async () => {
    expect(await outcomeOf(await signProof(key, claims(), { jwk: undefined }))).toEqual(
      refused('The DPoP proof has no jwk header; it must carry the public key that signed it.'),
    );
  });

  it('refuses a jwk that is not an object', async () => {
    for (const jwk of ['key', 42, null, [key.publicJwk]]) {
      expect(await outcomeOf(await signProof(key, claims(), { jwk }))).toEqual(
        refused("The DPoP proof's jwk header is not a JSON object."),
      );
    }
  });

  it('refuses the private key in jwk', async () => {
    const privateJwk = await exportJWK(key.privateKey);
    expect(await outcomeOf(await signProof(key, claims(), { jwk: privateJwk }))).toEqual(
      refused("The DPoP proof's jwk contains private key material (d); send only the public key."),
    );
  });

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])(
    'refuses a jwk with the private member %s',
    async (member) => {
      const jwk = { ...key.publicJwk, [member]: 'AQAB' };
      expect(await outcomeOf(await signProof(key, claims(), { jwk }))).toEqual(
        refused(`The DPoP proof's jwk contains private key material (${member}); send only the public key.`),
      );
    },
  );

  it('refuses a jwk that does not fit the alg', async () => {
    const edKey = await createTestKey('EdDSA');
    for (const jwk of [edKey.publicJwk, { kty: 'EC', crv: 'P-256' }, { ...key.publicJwk, crv: 'P-384' }]) {
      expect(await outcomeOf(await signProof(key, claims(), { jwk }))).toEqual(
        refused("The DPoP proof's jwk is not a usable public key for its alg."),
      );
    }
  });

  it('refuses a signature that does not verify with jwk', async () => {
    const signedByAnother = await signProof(otherKey, claims(), { jwk: key.publicJwk });
    expect(await outcomeOf(signedByAnother)).toEqual(
      refused("The DPoP proof's signature does not verify with its jwk."),
    );
    const [header, , signature] = (await signProof(key, claims())).split('.');
    expect(await outcomeOf(`${header}.${encodePart(claims({ htm: 'GET' }))}.${signature}`)).toEqual(
      refused("The DPoP proof's signature does not verify with its jwk."),
    );
  });

  it('refuses a malformed signature part', async () => {
    const [header, payload] = (await signProof(key, claims())).split('.');
    expect(await outcomeOf(`${header}.${payload}.abcde`)).toMatchObject({
      ok: false,
      error: 'invalid_dpop_proof',
    });
    expect(await outcomeOf(`${header}.${payload}.`)).toMatchObject({
      ok: false,
      error: 'invalid_dpop_proof',
    });
  });

  it('refuses critical header extensions', async () => {
    // jose will not sign these, and the header is refused before the signature is looked at.
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, crit: ['b64'], b64: false };
    const proof = `${encodePart(header)}.${encodePart(claims())}.c2ln`;
    expect(await outcomeOf(proof)).toEqual(
      refused("The DPoP proof's header names critical extensions this gateway does not support."),
    );
  });
});

describe('the claims (DPOP-10 to DPOP-15)', () => {
  it.each(['jti', 'htm', 'htu', 'iat', 'ath'])('refuses a proof without %s', async (claim) => {
    expect(await outcomeOf(await signProof(key, claims({ [claim]: undefined })))).toEqual(
      refused(`The DPoP proof has no ${claim} claim.`),
    );
  });

  it.each([
    ['jti', 42, "The DPoP proof's jti claim must be a non-empty string of at most 256 characters."],
    ['jti', '', "The DPoP proof's jti claim must be a non-empty string of at most 256 characters."],
    [
      'jti',
      'x'.repeat(257),
      "The DPoP proof's jti claim must be a non-empty string of at most 256 characters.",
    ],
    ['htm', ['POST'], "The DPoP proof's htm claim is not a string."],
    ['htu', { href: REQUEST_URL }, "The DPoP proof's htu claim is not a string."],
    ['iat', String(NOW / 1000), "The DPoP proof's iat claim is not a number of seconds since the epoch."],
    ['ath', null, "The DPoP proof's ath claim is not a string."],
  ])('refuses %s = %j', async (claim, value, description) => {
    expect(await outcomeOf(await signProof(key, claims({ [claim]: value })))).toEqual(refused(description));
  });

  it('refuses a wrong htm, including a different case', async () => {
    for (const htm of ['GET', 'post']) {
      expect(await outcomeOf(await signProof(key, claims({ htm })))).toEqual(
        refused("The DPoP proof's htm does not match the request method."),
      );
    }
  });

  it.each([
    ['another path', 'https://gateway.example/v1/embeddings'],
    ['a path prefix', 'https://gateway.example/v1/chat'],
    ['a trailing slash', 'https://gateway.example/v1/chat/completions/'],
    ['another host', 'https://evil.example/v1/chat/completions'],
    ['another port', 'https://gateway.example:8443/v1/chat/completions'],
    ['another scheme', 'http://gateway.example/v1/chat/completions'],
  ])('refuses htu with %s', async (_name, htu) => {
    expect(await outcomeOf(await signProof(key, claims({ htu })))).toEqual(
      refused("The DPoP proof's htu does not match the request URL."),
    );
  });

  it.each([
    ['a relative reference', '/v1/chat/completions'],
    ['no authority', 'https:gateway.example/v1/chat/completions'],
    ['another scheme', 'ftp://gateway.example/v1/chat/completions'],
    ['userinfo', 'https://user@gateway.example/v1/chat/completions'],
    ['a space', 'https://gateway.example/v1/chat/completions '],
    ['a backslash', 'https://gateway.example\\v1\\chat\\completions'],
  ])('refuses htu with %s', async (_name, htu) => {
    expect(await outcomeOf(await signProof(key, claims({ htu })))).toEqual(
      refused("The DPoP proof's htu is not an absolute http(s) URI."),
    );
  });

  it('refuses a stale iat', async () => {
    const proof = await signProof(key, claims({ iat: NOW / 1000 - 301 }));
    expect(await outcomeOf(proof)).toEqual(
      refused(
        "The DPoP proof's iat is more than 300 seconds in the past; make a fresh proof for each request.",
      ),
    );
  });

  it('refuses an iat too far in the future', async () => {
    const proof = await signProof(key, claims({ iat: NOW / 1000 + 61 }));
    expect(await outcomeOf(proof)).toEqual(
      refused("The DPoP proof's iat is more than 60 seconds in the future; check the app's clock."),
    );
  });

  it('honours a configured iat window', async () => {
    const verify = createDpopVerifier({
      replayCache: memoryReplayCache({ now: () => NOW }),
      now: () => NOW,
      iatWindow: { pastSeconds: 10, futureSeconds: 0 },
    });
    expect(await verify(check([await signProof(key, claims({ iat: NOW / 1000 - 11 }))]))).toEqual(
      refused(
        "The DPoP proof's iat is more than 10 seconds in the past; make a fresh proof for each request.",
      ),
    );
    expect(await verify(check([await signProof(key, claims({ iat: NOW / 1000 + 1 }))]))).toEqual(
      refused("The DPoP proof's iat is more than 0 seconds in the future; check the app's clock."),
    );
  });

  it('refuses a wrong ath', async () => {
    for (const ath of [accessTokenHash(`${TOKEN}x`), '', Buffer.from(TOKEN).toString('base64url')]) {
      expect(await outcomeOf(await signProof(key, claims({ ath })))).toEqual(
        refused("The DPoP proof's ath does not match the access token."),
      );
    }
  });

  it('refuses a key that is not the one the token is bound to', async () => {
    const proof = await signProof(otherKey, claims());
    expect(await outcomeOf(proof)).toEqual(
      refused("The DPoP proof's key is not the key the access token is bound to (cnf.jkt)."),
    );
  });
});

describe('replay (DPOP-13)', () => {
  it('refuses a proof presented twice', async () => {
    const { verify } = setup();
    const payload = claims();
    const proof = await signProof(key, payload);
    expect(await verify(check([proof]))).toEqual({ ok: true, jti: payload.jti });
    expect(await verify(check([proof]))).toEqual(
      refused("The DPoP proof's jti was already used; make a fresh proof with a new jti for each request."),
    );
  });

  it('refuses a new proof that reuses a jti, and accepts the same jti from another key', async () => {
    const { verify } = setup();
    expect(await verify(check([await signProof(key, claims({ jti: 'same' }))]))).toMatchObject({ ok: true });
    const again = await signProof(key, claims({ jti: 'same', iat: NOW / 1000 - 1 }));
    expect(await verify(check([again]))).toMatchObject({ ok: false, error: 'invalid_dpop_proof' });
    const otherProof = await signProof(otherKey, claims({ jti: 'same' }));
    expect(await verify(check([otherProof], { expectedThumbprint: otherKey.thumbprint }))).toMatchObject({
      ok: true,
    });
  });

  it('refuses concurrent presentations of one proof but for one', async () => {
    const { verify } = setup();
    const proof = await signProof(key, claims());
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => verify(check([proof]))));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
  });

  it('does not remember a refused proof', async () => {
    const { verify } = setup();
    const payload = claims();
    const proof = await signProof(key, payload);
    expect(await verify(check([proof], { accessToken: 'another token' }))).toMatchObject({ ok: false });
    expect(await verify(check([proof]))).toEqual({ ok: true, jti: payload.jti });
  });

  it('keeps the proof until its iat leaves the window, when the iat check takes over', async () => {
    const { verify, clock } = setup();
    const proof = await signProof(key, claims());
    expect(await verify(check([proof]))).toMatchObject({ ok: true });
    clock.now = NOW + 300_000;
    expect(await verify(check([proof]))).toMatchObject({
      description: expect.stringContaining('already used'),
    });
    clock.now = NOW + 300_001;
    expect(await verify(check([proof]))).toMatchObject({
      description: expect.stringContaining('in the past'),
    });
  });
});

describe('nonces (DPOP-16)', () => {
  const secret = new Uint8Array(32).fill(7);

  it('asks for a nonce, then accepts a proof that carries it', async () => {
    const { verify, clock } = setup();
    const nonces = rotatingNonces({ secret, now: () => clock.now });
    const first = await verify(check([await signProof(key, claims())], { nonces }));
    expect(first).toEqual({
      ok: false,
      error: 'use_dpop_nonce',
      description: 'This gateway requires a DPoP nonce; retry with the nonce from the DPoP-Nonce header.',
      nonce: nonces.current(),
    });
    const nonce = first.ok ? undefined : first.nonce;
    const payload = claims({ nonce });
    expect(await verify(check([await signProof(key, payload)], { nonces }))).toEqual({
      ok: true,
      jti: payload.jti,
    });
  });

  it('refuses a stale or forged nonce with a fresh one', async () => {
    const { verify, clock } = setup();
    const nonces = rotatingNonces({ secret, periodSeconds: 60, now: () => clock.now });
    const old = nonces.current();
    clock.now = NOW + 180_000;
    for (const nonce of [old, 'forged', 42]) {
      const proof = await signProof(key, claims({ nonce, iat: clock.now / 1000 }));
      const outcome = await verify(check([proof], { nonces }));
      expect(outcome).toEqual({
        ok: false,
        error: 'use_dpop_nonce',
        description: expect.stringMatching(nonce === 42 ? /requires a DPoP nonce/ : /stale or unknown/),
        nonce: nonces.current(),
      });
    }
    expect(nonces.current()).not.toBe(old);
  });

  it('prefers invalid_dpop_proof over use_dpop_nonce when the proof is also wrong', async () => {
    const nonces = rotatingNonces({ secret, now: () => NOW });
    expect(await outcomeOf(await signProof(key, claims({ htm: 'GET' })), { nonces })).toEqual(
      refused("The DPoP proof's htm does not match the request method."),
    );
  });

  it('ignores a nonce claim when the gateway does not require nonces', async () => {
    expect(await outcomeOf(await signProof(key, claims({ nonce: 'anything' })))).toMatchObject({ ok: true });
  });
});

describe('options and robustness', () => {
  it('fails fast on bad options', () => {
    const replayCache = memoryReplayCache();
    expect(() => createDpopVerifier({ replayCache, algorithms: ['ES256', 'none'] })).toThrow(/none/);
    expect(() => createDpopVerifier({ replayCache, algorithms: ['HS256'] })).toThrow(/HS256/);
    expect(() => createDpopVerifier({ replayCache, algorithms: [] })).toThrow(/at least one/);
    expect(() =>
      createDpopVerifier({ replayCache, iatWindow: { pastSeconds: -1, futureSeconds: 0 } }),
    ).toThrow(/pastSeconds/);
    expect(() => createDpopVerifier({} as never)).toThrow(/replayCache/);
  });

  it('accepts an algorithm added to the allow-list', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384');
    const publicJwk = await exportJWK(publicKey);
    const es384 = { alg: 'ES384', privateKey, publicJwk } as unknown as TestKey;
    const verify = createDpopVerifier({
      replayCache: memoryReplayCache(),
      now: () => NOW,
      algorithms: ['ES256', 'ES384'],
    });
    const outcome = await verify(
      check([await signProof(es384, claims())], {
        expectedThumbprint: await calculateJwkThumbprint(publicJwk),
      }),
    );
    expect(outcome).toMatchObject({ ok: true });
  });

  it('answers a check of the wrong shape with an outcome', async () => {
    const { verify } = setup();
    const proof = await signProof(key, claims());
    for (const broken of [
      { proofs: 'a.b.c' },
      { proofs: [proof], method: 'POST', url: 42, accessToken: TOKEN, expectedThumbprint: key.thumbprint },
      {
        proofs: [proof],
        method: 'POST',
        url: REQUEST_URL,
        accessToken: null,
        expectedThumbprint: key.thumbprint,
      },
      null,
    ]) {
      const outcome = await verify(broken as unknown as DpopCheck);
      expect(outcome).toMatchObject({ ok: false, error: 'invalid_dpop_proof' });
    }
  });

  it('never echoes the proof in a description', async () => {
    const outcomes = [
      await outcomeOf(await signProof(key, claims({ htu: 'https://a"b\\c/' }))),
      await outcomeOf(await signProof(key, claims(), { typ: 'x"\\' })),
      await outcomeOf(
        `${encodePart({ typ: 'dpop+jwt', alg: 'RS256"', jwk: key.publicJwk })}.${encodePart(claims())}.c2ln`,
      ),
    ];
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        ok: false,
        description: expect.stringMatching(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/),
      });
    }
  });
});
