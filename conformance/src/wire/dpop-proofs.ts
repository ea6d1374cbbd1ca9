import { createHmac, randomUUID, webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { accessTokenHash, DpopKey } from './dpop-key.js';

/** The request a proof is made for (RFC 9449 §4.2). */
export interface ProofTarget {
  readonly method: string;
  /** The URL the app addresses; `htu` is it without query and fragment. */
  readonly url: string;
  /** The access token sent with the proof, which `ath` hashes; absent at the token endpoint. */
  readonly accessToken?: string;
}

/** The `DPoP` header lines of one request: one value a line, under `name` as spelt on the wire. */
export interface DpopHeaderLines {
  readonly name: string;
  readonly values: readonly string[];
}

/** One request's proof in a case, and what it is in words for failure messages. */
export interface ProofVariant {
  readonly what: string;
  readonly lines: DpopHeaderLines;
}

/**
 * One entry of the FAPI 2.0 DPoP negative list, run at the token endpoint (dpop-token) and at
 * the gateway (dpop-gateway) alike. `refused`: 400 (token endpoint, RFC 9449 §5) or 401 (gateway,
 * RFC 9449 §7.1) with `invalid_dpop_proof`; `accepted`: the proof is correct in every way the
 * rules of Part 7 §7.3 look at, so refusing it is the defect.
 */
export interface ProofCase {
  /** The check's name in both modules. */
  readonly name: string;
  readonly summary: string;
  readonly outcome: 'refused' | 'accepted';
  /** Requirement ids the gateway check cites; the token endpoint check adds DPOP-2 or DPOP-1. */
  readonly requirements: readonly string[];
  /** What the token endpoint check cites besides DPOP-2 or DPOP-1, when not `requirements`. */
  readonly tokenRequirements?: readonly string[];
  /** Only where an access token is presented with the proof: the gateway. */
  readonly gatewayOnly?: boolean;
  /** An algorithm the wallet may advertise, in which case the case does not apply. */
  readonly unlessAdvertised?: string;
  readonly variants: (key: DpopKey, target: ProofTarget) => Promise<ProofVariant[]>;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** The correct JOSE header and claims for `target`, which a case then changes in one way. */
export function correctProofParts(
  key: DpopKey,
  target: ProofTarget,
): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const url = new URL(target.url);
  return {
    header: { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk },
    claims: {
      jti: randomUUID(),
      htm: target.method,
      htu: `${url.origin}${url.pathname}`,
      iat: now(),
      ...(target.accessToken !== undefined && { ath: accessTokenHash(target.accessToken) }),
    },
  };
}

/**
 * Signs any header and claims with the key's ES256 private key, whatever the header says: unlike
 * a JWT library, it lets a case drop `alg` or `typ`, or name an algorithm it does not use.
 */
export async function signProof(
  key: DpopKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  const input = `${base64url(header)}.${base64url(claims)}`;
  // WebCrypto's ECDSA signature is r || s, the JWS form (RFC 7518 §3.4).
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.privateKey as unknown as webcrypto.CryptoKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** A correct proof with the header and claims changed by `change` (an `undefined` member is removed). */
export async function changedProof(
  key: DpopKey,
  target: ProofTarget,
  change: { header?: Record<string, unknown>; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const parts = correctProofParts(key, target);
  return signProof(key, { ...parts.header, ...change.header }, { ...parts.claims, ...change.claims });
}

/** A correct proof, sent the usual way: one `DPoP` line. */
export async function correctLines(key: DpopKey, target: ProofTarget): Promise<DpopHeaderLines> {
  return one(await changedProof(key, target));
}

const one = (value: string, name = 'DPoP'): DpopHeaderLines => ({ name, values: [value] });
const single = async (what: string, proof: Promise<string>): Promise<ProofVariant[]> => [
  { what, lines: one(await proof) },
];
const without = (name: string) => ({ [name]: undefined });

/** The cases in the order both modules run them. */
export const PROOF_CASES: readonly ProofCase[] = [
  {
    name: 'no-header',
    summary: 'a DPoP-bound token without any DPoP header is refused',
    outcome: 'refused',
    requirements: ['DPOP-6'],
    // At the token endpoint a request without a proof asks for a Bearer token ([DPOP-3] covers clients that may not).
    gatewayOnly: true,
    variants: async () => [{ what: 'no DPoP header', lines: { name: 'DPoP', values: [] } }],
  },
  {
    name: 'two-headers',
    summary: 'two proofs, on two separate DPoP header lines or joined by a comma on one, are refused',
    outcome: 'refused',
    requirements: ['DPOP-6'],
    variants: async (key, target) => {
      const [first, second] = [await changedProof(key, target), await changedProof(key, target)];
      return [
        { what: 'two DPoP header lines', lines: { name: 'DPoP', values: [first, second] } },
        { what: 'two proofs joined by a comma', lines: one(`${first}, ${second}`) },
      ];
    },
  },
  {
    name: 'not-a-jwt',
    summary: 'a DPoP value that is not a JWS in compact serialization is refused',
    outcome: 'refused',
    requirements: ['DPOP-6'],
    variants: async (key, target) => {
      const parts = correctProofParts(key, target);
      return [
        { what: 'a DPoP value that is not a JWT', lines: one('not-a-jwt') },
        {
          what: 'a header and payload without the signature part',
          lines: one(`${base64url(parts.header)}.${base64url(parts.claims)}`),
        },
      ];
    },
  },
  {
    name: 'header-name-case',
    summary: 'the DPoP header name in another case (dpop:, DPOP:) is the same header (RFC 9110 §5.1)',
    outcome: 'accepted',
    requirements: ['DPOP-6'],
    variants: async (key, target) => [
      { what: 'the header named "dpop"', lines: one(await changedProof(key, target), 'dpop') },
      { what: 'the header named "DPOP"', lines: one(await changedProof(key, target), 'DPOP') },
    ],
  },
  {
    name: 'missing-typ',
    summary: 'a proof without typ is refused',
    outcome: 'refused',
    requirements: ['DPOP-7'],
    variants: (key, target) => single('no typ', changedProof(key, target, { header: without('typ') })),
  },
  {
    name: 'wrong-typ',
    summary: 'a proof with typ JWT is refused',
    outcome: 'refused',
    requirements: ['DPOP-7'],
    variants: (key, target) => single('typ JWT', changedProof(key, target, { header: { typ: 'JWT' } })),
  },
  {
    name: 'missing-alg',
    summary: 'a proof without alg is refused',
    outcome: 'refused',
    requirements: ['DPOP-8'],
    variants: (key, target) => single('no alg', changedProof(key, target, { header: without('alg') })),
  },
  {
    name: 'alg-rs256',
    summary:
      'an RS256 proof is refused when RS256 is not in dpop_signing_alg_values_supported, by its own RSA key or claiming RS256 over an ES256 signature',
    outcome: 'refused',
    requirements: ['DPOP-8'],
    unlessAdvertised: 'RS256',
    variants: async (key, target) => {
      const rsa = await generateKeyPair('RS256', { modulusLength: 2048 });
      const parts = correctProofParts(key, target);
      const rsaProof = await new SignJWT(parts.claims)
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'RS256', jwk: await exportJWK(rsa.publicKey) })
        .sign(rsa.privateKey);
      return [
        { what: 'RS256 by an RSA key', lines: one(rsaProof) },
        {
          // A verifier that takes the algorithm from the key instead of checking alg accepts this.
          what: 'alg RS256 over an ES256 signature by the bound key',
          lines: one(await changedProof(key, target, { header: { alg: 'RS256' } })),
        },
      ];
    },
  },
  {
    name: 'alg-none',
    summary: 'an unsigned proof (alg none) is refused',
    outcome: 'refused',
    requirements: ['DPOP-8'],
    variants: async (key, target) => {
      const parts = correctProofParts(key, target);
      return [
        {
          what: 'alg none',
          lines: one(`${base64url({ ...parts.header, alg: 'none' })}.${base64url(parts.claims)}.`),
        },
      ];
    },
  },
  {
    name: 'alg-hs256',
    summary: 'a proof with a symmetric algorithm (HS256) is refused',
    outcome: 'refused',
    requirements: ['DPOP-8'],
    variants: async (key, target) => {
      const parts = correctProofParts(key, target);
      const input = `${base64url({ ...parts.header, alg: 'HS256' })}.${base64url(parts.claims)}`;
      const mac = createHmac('sha256', 'a secret the app and an attacker share')
        .update(input)
        .digest('base64url');
      return [{ what: 'alg HS256', lines: one(`${input}.${mac}`) }];
    },
  },
  {
    name: 'missing-jwk',
    summary: 'a proof without jwk is refused',
    outcome: 'refused',
    requirements: ['DPOP-9'],
    variants: (key, target) => single('no jwk', changedProof(key, target, { header: without('jwk') })),
  },
  {
    name: 'bad-signature',
    summary: 'a proof whose signature does not verify with its jwk is refused',
    outcome: 'refused',
    requirements: ['DPOP-9'],
    variants: async (key, target) => {
      const other = await DpopKey.generate();
      const parts = correctProofParts(key, target);
      const signedByOther = await signProof(other, parts.header, parts.claims);
      const good = await changedProof(key, target);
      // A character early in the signature: every one of its bits is signature, none padding.
      const at = good.lastIndexOf('.') + 10;
      const flipped = `${good.slice(0, at)}${good[at] === 'A' ? 'B' : 'A'}${good.slice(at + 1)}`;
      return [
        { what: 'signed by another key than its jwk', lines: one(signedByOther) },
        { what: 'a signature with bytes changed', lines: one(flipped) },
      ];
    },
  },
  {
    name: 'private-jwk',
    summary: 'a proof whose jwk carries the private key (d) is refused, though it verifies',
    outcome: 'refused',
    requirements: ['DPOP-9'],
    variants: async (key, target) =>
      single(
        'the private key in jwk',
        changedProof(key, target, { header: { jwk: await exportJWK(key.privateKey) } }),
      ),
  },
  {
    name: 'missing-htm',
    summary: 'a proof without htm is refused',
    outcome: 'refused',
    requirements: ['DPOP-10'],
    variants: (key, target) => single('no htm', changedProof(key, target, { claims: without('htm') })),
  },
  {
    name: 'wrong-htm',
    summary: 'a proof for GET on a POST is refused',
    outcome: 'refused',
    requirements: ['DPOP-10'],
    variants: (key, target) => single('htm GET', changedProof(key, target, { claims: { htm: 'GET' } })),
  },
  {
    name: 'missing-htu',
    summary: 'a proof without htu is refused',
    outcome: 'refused',
    requirements: ['DPOP-11'],
    variants: (key, target) => single('no htu', changedProof(key, target, { claims: without('htu') })),
  },
  {
    name: 'wrong-htu',
    summary: 'a proof for another path, or for the same path at another origin, is refused',
    outcome: 'refused',
    requirements: ['DPOP-11'],
    variants: async (key, target) => {
      const url = new URL(target.url);
      const otherPath = url.pathname === '/v1/embeddings' ? '/v1/models' : '/v1/embeddings';
      return [
        {
          what: `htu for ${otherPath}`,
          lines: one(await changedProof(key, target, { claims: { htu: `${url.origin}${otherPath}` } })),
        },
        {
          what: 'htu at another origin',
          lines: one(
            await changedProof(key, target, { claims: { htu: `https://elsewhere.example${url.pathname}` } }),
          ),
        },
      ];
    },
  },
  {
    name: 'htu-query-fragment',
    summary: 'a proof whose htu adds a query or a fragment is accepted (RFC 9449 §4.3 compares without them)',
    outcome: 'accepted',
    requirements: ['DPOP-11'],
    variants: async (key, target) => {
      const url = new URL(target.url);
      const base = `${url.origin}${url.pathname}`;
      return [
        {
          what: 'htu with a query',
          lines: one(await changedProof(key, target, { claims: { htu: `${base}?conformance=1` } })),
        },
        {
          what: 'htu with a query and a fragment',
          lines: one(await changedProof(key, target, { claims: { htu: `${base}?conformance=1#part` } })),
        },
      ];
    },
  },
  {
    name: 'missing-iat',
    summary: 'a proof without iat is refused',
    outcome: 'refused',
    requirements: ['DPOP-12'],
    variants: (key, target) => single('no iat', changedProof(key, target, { claims: without('iat') })),
  },
  {
    name: 'iat-hour-early',
    summary: 'a proof issued an hour ago is refused',
    outcome: 'refused',
    requirements: ['DPOP-12'],
    variants: (key, target) =>
      single('iat an hour ago', changedProof(key, target, { claims: { iat: now() - 3600 } })),
  },
  {
    name: 'iat-hour-late',
    summary: 'a proof issued an hour from now is refused',
    outcome: 'refused',
    requirements: ['DPOP-12'],
    variants: (key, target) =>
      single('iat an hour ahead', changedProof(key, target, { claims: { iat: now() + 3600 } })),
  },
  {
    name: 'missing-jti',
    summary: 'a proof without jti is refused',
    outcome: 'refused',
    requirements: ['DPOP-13'],
    variants: (key, target) => single('no jti', changedProof(key, target, { claims: without('jti') })),
  },
  {
    name: 'missing-ath',
    summary: 'a proof presented with an access token but without ath is refused',
    outcome: 'refused',
    requirements: ['DPOP-14'],
    gatewayOnly: true,
    variants: (key, target) => single('no ath', changedProof(key, target, { claims: without('ath') })),
  },
  {
    name: 'wrong-ath',
    summary: 'a proof whose ath hashes another token is refused',
    outcome: 'refused',
    requirements: ['DPOP-14'],
    gatewayOnly: true,
    variants: (key, target) =>
      single(
        'ath of another token',
        changedProof(key, target, { claims: { ath: accessTokenHash(`${target.accessToken ?? ''}x`) } }),
      ),
  },
  {
    name: 'extra-claims',
    summary: 'a correct proof with claims and header members DPoP does not define is accepted',
    outcome: 'accepted',
    requirements: ['DPOP-15'],
    // At the token endpoint a valid proof must yield a bound token; there is no cnf.jkt to match yet.
    tokenRequirements: [],
    variants: async (key, target) => [
      {
        what: 'extra claims and header members',
        lines: one(
          await changedProof(key, target, {
            header: { kid: 'conformance-key' },
            claims: { conformance: 'extra claim', exp: now() + 60, nbf: now() - 5 },
          }),
        ),
      },
    ],
  },
];
