import { appendFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderSim } from '@allowance/provider-sim';
import { PROOF_CASES } from '../wire/dpop-proofs.js';
import type { Breakage, ProxiedRequest, ProxiedResponse } from './breaking-proxy.js';

/** A deliberately non-conforming wallet: a defect, the modules that expose it, and the checks that must fail. */
export interface Fake {
  readonly name: string;
  /** The MUST it breaks, in words. */
  readonly breaks: string;
  readonly modules: readonly string[];
  /** Exactly the checks (`module.check`) that must fail, beyond the wallet's known failures. */
  readonly expectedFailures: readonly string[];
  readonly breakage: (sim: ProviderSim, scratch: FakeScratch) => Breakage;
}

/**
 * Files a fake may write to stand for the wallet's own artefacts: the test lists them among the
 * database and log artefacts, and empties them after each fake.
 */
export interface FakeScratch {
  /** Stands for a file of the wallet's database. */
  readonly database: string;
  /** Stands for the wallet's log output. */
  readonly log: string;
}

const text = (response: ProxiedResponse) => response.body.toString('utf8');
const withBody = (response: ProxiedResponse, body: string): ProxiedResponse => ({
  ...response,
  body: Buffer.from(body),
});
const tokenOf = (request: ProxiedRequest) =>
  /^(?:Bearer|DPoP)\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''))?.[1] ??
  (typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'] : undefined);
const claimsOf = (token: string | undefined): Record<string, unknown> => {
  try {
    return JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
};
const headerOf = (token: string | undefined): Record<string, unknown> => {
  try {
    return JSON.parse(Buffer.from(token?.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
};
const isGateway = (request: ProxiedRequest) => request.path.startsWith('/gateway/');
const form = (request: ProxiedRequest) => new URLSearchParams(request.body.toString('utf8'));

/**
 * Swaps a token the real gateway would refuse for the last good one of the same grant: to the
 * suite, the gateway accepted the bad token.
 */
function tokenLaundering(isBad: (token: string) => boolean): Breakage {
  const good = new Map<string, string>();
  return async (request, forward) => {
    const token = tokenOf(request);
    if (!isGateway(request) || !token) return forward(request);
    const grant = String(claimsOf(token).grant_id ?? '');
    if (!isBad(token)) {
      good.set(grant, token);
      return forward(request);
    }
    const replacement = good.get(grant);
    if (!replacement) return forward(request);
    const headers: IncomingHttpHeaders = { ...request.headers, authorization: `Bearer ${replacement}` };
    delete headers['x-api-key'];
    return forward({ ...request, headers });
  };
}

/** The fakes the suite's own tests run it against; each must fail exactly its checks. */
export const FAKES: readonly Fake[] = [
  {
    name: 'logs-access-tokens',
    breaks: 'SEC-12: the wallet logs the Authorization header of every gateway call',
    modules: ['secrets'],
    expectedFailures: ['secrets.no-secrets-in-logs'],
    breakage: (_sim, scratch) => async (request, forward) => {
      if (isGateway(request) && request.headers.authorization) {
        const line = { level: 20, msg: 'gateway request', authorization: request.headers.authorization };
        appendFileSync(scratch.log, `${JSON.stringify(line)}\n`);
      }
      return forward(request);
    },
  },
  {
    name: 'stores-prompts',
    breaks: 'SEC-11: the wallet keeps the bodies of gateway calls in its database',
    modules: ['secrets'],
    expectedFailures: ['secrets.no-prompt-stored'],
    breakage: (_sim, scratch) => async (request, forward) => {
      if (isGateway(request) && request.method === 'POST') appendFileSync(scratch.database, request.body);
      return forward(request);
    },
  },
  {
    name: 'stores-refresh-tokens',
    breaks: 'SEC-14: the wallet keeps the refresh tokens it issues in clear in its database',
    modules: ['secrets'],
    expectedFailures: ['secrets.no-bearer-secret-stored'],
    breakage: (_sim, scratch) => async (request, forward) => {
      const response = await forward(request);
      if (isGateway(request) || request.method !== 'POST' || response.status !== 200) return response;
      const refreshToken = /"refresh_token"\s*:\s*"([^"]+)"/.exec(text(response))?.[1];
      if (refreshToken) appendFileSync(scratch.database, `RefreshToken|${refreshToken}|{}\n`);
      return response;
    },
  },
  {
    name: 'stores-any-base-url',
    breaks:
      'SEC-7, SEC-8: the wallet stores a provider key under any base URL: cleartext, link-local, metadata, private',
    modules: ['provider-urls'],
    expectedFailures: [
      'provider-urls.cleartext-refused',
      'provider-urls.forbidden-refused',
      'provider-urls.private-needs-choice',
    ],
    // Swaps the URL for the simulator's before the wallet sees it, so the wallet stores the key
    // and answers 200, as one without the check would; nothing is ever stored under the bad URL.
    breakage: (sim) => async (request, forward) => {
      if (request.method !== 'POST' || !request.path.endsWith('/keys')) return forward(request);
      const parameters = form(request);
      const providerId = parameters.get('providerId') ?? '';
      const baseUrl = parameters.get('baseUrl') ?? '';
      if (baseUrl === '' || !sim.providers.some((provider) => provider.id === providerId))
        return forward(request);
      parameters.set('baseUrl', sim.baseURL(providerId));
      return forward({ ...request, body: Buffer.from(parameters.toString()) });
    },
  },
  {
    name: 'relays-set-cookie',
    breaks: "GW-20: the gateway relays the provider's Set-Cookie",
    modules: ['forwarding'],
    expectedFailures: ['forwarding.no-set-cookie'],
    breakage: () => async (request, forward) => {
      const response = await forward(request);
      if (!isGateway(request) || response.status !== 200) return response;
      return {
        ...response,
        headers: { ...response.headers, 'set-cookie': ['__cf_bm=from-provider; path=/'] },
      };
    },
  },
  {
    name: 'accepts-wrong-audience',
    breaks: 'GW-4: a token for another audience is accepted',
    modules: ['gateway-auth'],
    expectedFailures: ['gateway-auth.wrong-audience'],
    breakage: () =>
      tokenLaundering((token) => String(claimsOf(token).aud ?? '').startsWith('https://elsewhere.')),
  },
  {
    name: 'accepts-alg-none',
    breaks: 'GW-4: an unsigned token is accepted',
    modules: ['gateway-auth'],
    expectedFailures: ['gateway-auth.alg-none'],
    breakage: () => tokenLaundering((token) => headerOf(token).alg === 'none'),
  },
  {
    name: 'ignores-model-allowlist',
    breaks: 'GW-12: a model outside the grant is called anyway',
    modules: ['resolution', 'gateway-basics'],
    expectedFailures: ['resolution.model-not-allowed', 'gateway-basics.order'],
    breakage: () => async (request, forward) => {
      if (request.method !== 'POST' || !request.path.endsWith('/v1/chat/completions'))
        return forward(request);
      const details = claimsOf(tokenOf(request)).authorization_details as { models?: string[] }[] | undefined;
      const allowed = details?.[0]?.models ?? [];
      try {
        const body = JSON.parse(request.body.toString('utf8')) as { model?: string };
        if (typeof body.model !== 'string') return forward(request);
        if (allowed.length > 0 && !allowed.includes(body.model) && !body.model.includes('/')) {
          return forward({ ...request, body: Buffer.from(JSON.stringify({ ...body, model: allowed[0] })) });
        }
      } catch {
        // Not JSON: the real gateway answers.
      }
      return forward(request);
    },
  },
  {
    name: 'overspends-under-concurrency',
    breaks: 'MTR-18: calls over the budget are forwarded to the provider anyway',
    modules: ['reservation'],
    expectedFailures: [
      'reservation.never-over-limit',
      'reservation.refused-with-402',
      'reservation.accounting-exact',
    ],
    breakage: (sim) => async (request, forward) => {
      const response = await forward(request);
      if (response.status !== 402 || !request.path.endsWith('/v1/chat/completions')) return response;
      if (!text(response).includes('"budget_exhausted"')) return response;
      // The check-then-spend race of a non-atomic gateway, played out: the call goes through.
      const upstream = await fetch(`${sim.baseURL('openai')}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.apiKey('openai')}`, 'content-type': 'application/json' },
        body: request.body,
      });
      return {
        status: upstream.status,
        headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json' },
        body: Buffer.from(await upstream.arrayBuffer()),
      };
    },
  },
  {
    name: 'bills-streams-at-zero',
    breaks: 'MTR-8/MTR-13: a stream reports a cost of zero',
    modules: ['metering'],
    expectedFailures: ['metering.chat-stream', 'metering.messages-stream'],
    breakage: () => async (request, forward) => {
      const response = await forward(request);
      return isGateway(request)
        ? withBody(response, text(response).replace(/^: allowance-cost=\S+/m, ': allowance-cost=0.00'))
        : response;
    },
  },
  {
    name: 'keeps-revoked-grant-alive',
    breaks: 'REV-2: revocation answers 200 but the grant lives on',
    modules: ['revocation'],
    expectedFailures: ['revocation.grant-ended', 'revocation.refresh-ended'],
    breakage: () => async (request, forward) =>
      request.path.startsWith('/token/revocation')
        ? { status: 200, headers: {}, body: Buffer.alloc(0) }
        : forward(request),
  },
  {
    name: 'accepts-replayed-dpop-proof',
    breaks: 'DPOP-13: a proof seen before is accepted again',
    modules: ['dpop-gateway'],
    expectedFailures: ['dpop-gateway.replay'],
    breakage: () => {
      const seen = new Map<string, ProxiedResponse>();
      return async (request, forward) => {
        const proof = request.headers.dpop;
        if (!isGateway(request) || typeof proof !== 'string' || proof === '') return forward(request);
        const earlier = seen.get(proof);
        if (earlier) return earlier;
        const response = await forward(request);
        seen.set(proof, response);
        return response;
      };
    },
  },
  {
    name: 'ignores-dpop-htm',
    breaks: 'DPOP-10: the gateway never compares a proof’s htm with the request method',
    modules: ['dpop-gateway'],
    expectedFailures: ['dpop-gateway.missing-htm', 'dpop-gateway.wrong-htm'],
    // The proxy cannot sign for the app's key, so it plays the gateway that skipped the htm rule by
    // answering such a proof with the token's last success, as if the call had gone through.
    breakage: () => {
      const lastSuccess = new Map<string, ProxiedResponse>();
      return async (request, forward) => {
        const proof = request.headers.dpop;
        const token = tokenOf(request);
        if (!isGateway(request) || typeof proof !== 'string' || !token) return forward(request);
        const claims = claimsOf(proof);
        const earlier = lastSuccess.get(token);
        if (Object.keys(claims).length > 0 && claims.htm !== request.method && earlier) return earlier;
        const response = await forward(request);
        if (response.status === 200 && request.method === 'POST') lastSuccess.set(token, response);
        return response;
      };
    },
  },
  {
    name: 'refuses-every-dpop-proof',
    breaks:
      'DPOP-6 to DPOP-15: the gateway refuses every DPoP-bound call, good proofs too, as invalid_dpop_proof',
    modules: ['dpop-gateway'],
    // Each refusal fails on its control; only the checks that expect a refusal and nothing else pass.
    expectedFailures: [
      'dpop-gateway.valid-proof',
      'dpop-gateway.unbound-dpop-scheme',
      ...PROOF_CASES.map((proofCase) => `dpop-gateway.${proofCase.name}`),
      'dpop-gateway.iat-window',
      'dpop-gateway.replay',
      'dpop-gateway.key-binding',
    ],
    breakage: () => async (request, forward) => {
      const scheme = /^DPoP\s/i.test(String(request.headers.authorization ?? ''));
      if (!isGateway(request) || request.method !== 'POST' || !scheme) return forward(request);
      const body = {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_dpop_proof',
          message: 'The DPoP proof is not acceptable.',
        },
      };
      return {
        status: 401,
        headers: {
          'content-type': 'application/json',
          'www-authenticate': 'DPoP realm="allowance", error="invalid_dpop_proof", algs="ES256 EdDSA"',
        },
        body: Buffer.from(JSON.stringify(body)),
      };
    },
  },
  {
    name: 'names-bad-dpop-proofs-invalid-request',
    breaks: 'DPOP-2, DPOP-3: the token endpoint refuses bad or missing DPoP proofs, but as invalid_request',
    modules: ['dpop-token'],
    expectedFailures: [
      ...PROOF_CASES.filter((proofCase) => proofCase.outcome === 'refused' && !proofCase.gatewayOnly).map(
        (proofCase) => `dpop-token.${proofCase.name}`,
      ),
      'dpop-token.replay',
      'dpop-token.required-for-client',
    ],
    breakage: () => async (request, forward) => {
      const response = await forward(request);
      if (request.path !== '/token' || response.status !== 400) return response;
      return withBody(
        response,
        text(response).replace('"error":"invalid_dpop_proof"', '"error":"invalid_request"'),
      );
    },
  },
  {
    name: 'tolerates-refresh-replay',
    breaks: 'TOK-2: a used refresh token works again and the grant survives',
    modules: ['refresh'],
    expectedFailures: ['refresh.replay-refused', 'refresh.replay-revokes-grant'],
    breakage: () => {
      const answered = new Map<string, ProxiedResponse>();
      return async (request, forward) => {
        const parameters = form(request);
        if (request.path !== '/token' || parameters.get('grant_type') !== 'refresh_token')
          return forward(request);
        const key = parameters.get('refresh_token') ?? '';
        const earlier = answered.get(key);
        if (earlier) return earlier;
        const response = await forward(request);
        if (response.status === 200) answered.set(key, response);
        return response;
      };
    },
  },
  {
    name: 'advertises-plain-pkce',
    breaks: 'META-4: code_challenge_methods_supported includes plain',
    modules: ['metadata'],
    expectedFailures: ['metadata.pkce-s256-only'],
    breakage: () => async (request, forward) => {
      const response = await forward(request);
      if (!request.path.startsWith('/.well-known/')) return response;
      return withBody(
        response,
        text(response).replace(
          '"code_challenge_methods_supported":["S256"]',
          '"code_challenge_methods_supported":["plain","S256"]',
        ),
      );
    },
  },
  {
    name: 'caches-token-responses',
    breaks: 'AUTH-32: token responses lack Cache-Control: no-store',
    modules: ['token'],
    expectedFailures: ['token.response-shape'],
    breakage: () => async (request, forward) => {
      const response = await forward(request);
      if (request.path !== '/token') return response;
      const headers = { ...response.headers };
      delete headers['cache-control'];
      return { ...response, headers: { ...headers, 'cache-control': 'max-age=60' } };
    },
  },
  {
    name: 'drops-iss-from-redirects',
    breaks: 'AUTH-18: redirects to the app carry no iss (mix-up defence lost)',
    modules: ['authorize', 'consent'],
    expectedFailures: ['authorize.error-redirect-iss-state', 'consent.deny', 'consent.approve'],
    breakage: () => async (request, forward) => {
      const response = await forward(request);
      const location = response.headers.location;
      if (typeof location !== 'string' || !location.includes('iss=')) return response;
      const url = new URL(location, 'http://placeholder.invalid');
      if (url.origin === 'http://placeholder.invalid') return response;
      url.searchParams.delete('iss');
      return { ...response, headers: { ...response.headers, location: url.href } };
    },
  },
];
