import { defineModule } from '../model/module.js';
import type { CheckDeclaration } from '../model/types.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { DpopKey } from '../wire/dpop-key.js';
import {
  changedProof,
  correctLines,
  type DpopHeaderLines,
  PROOF_CASES,
  type ProofCase,
  type ProofTarget,
} from '../wire/dpop-proofs.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { type HttpResponse, member, send } from '../wire/http.js';
import { sendRaw } from '../wire/raw-request.js';

/**
 * Asserts 401 invalid_dpop_proof in the provider's error shape, with a DPoP challenge naming it
 * ([GW-26], RFC 9449 §7.1).
 */
function expectBadProof(response: HttpResponse, what: string): void {
  expectEqual([response.status, errorCode(response)], [401, 'invalid_dpop_proof'], what);
  const error = member(response.json, 'error');
  expect(
    typeof member(error, 'type') === 'string' && typeof member(error, 'message') === 'string',
    `${what}: the error body is not the provider's shape { error: { type, code, message } }`,
  );
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(
    /DPoP [\s\S]*error="invalid_dpop_proof"/.test(challenge),
    `${what}: no DPoP challenge with error="invalid_dpop_proof": ${challenge}`,
  );
  expect(
    /DPoP [\s\S]*algs="ES256 EdDSA"/.test(challenge),
    `${what}: the DPoP challenge lacks algs="ES256 EdDSA"`,
  );
}

const caseChecks = Object.fromEntries(
  PROOF_CASES.map((proofCase): [string, CheckDeclaration] => [
    proofCase.name,
    { requirements: [...proofCase.requirements], summary: proofCase.summary },
  ]),
);

/** DPoP proof checks at the gateway (Part 7 §7.3), each refusal beside a correct proof that passes. */
export const dpopGatewayModule = defineModule<string>({
  name: 'dpop-gateway',
  plan: 'dpop',
  kind: 'http',
  summary:
    'Every DPoP proof defect is refused with 401 invalid_dpop_proof and a DPoP challenge, and bills nothing',
  checks: {
    'valid-proof': {
      requirements: ['DPOP-15'],
      summary: 'the control: a correct proof by the bound key is accepted',
    },
    'bearer-scheme': {
      requirements: ['GW-5', 'GW-26'],
      summary: 'a bound token sent as Bearer gets 401 invalid_dpop_proof',
    },
    'unbound-dpop-scheme': {
      requirements: ['GW-5', 'GW-26'],
      summary: 'an unbound token with the DPoP scheme gets 401 invalid_token and a DPoP challenge',
    },
    ...caseChecks,
    'iat-window': {
      requirements: ['DPOP-12'],
      summary:
        'a proof issued 2 minutes ahead or 10 minutes ago is refused (the window is 60 s ahead, 300 s back)',
    },
    replay: { requirements: ['DPOP-13'], summary: 'a proof accepted once is refused when replayed' },
    'key-binding': {
      requirements: ['DPOP-15'],
      summary: 'a correct proof by a key other than cnf.jkt is refused',
    },
    nonce: {
      requirements: ['DPOP-16'],
      summary: 'a gateway that uses nonces answers use_dpop_nonce with a fresh DPoP-Nonce',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.dpop ?? clients.app, { dpop: true });
    const key = connection.dpopKey as DpopKey;
    const url = `${wallet.gateway}/v1/chat/completions`;
    const token = connection.accessToken;
    const target: ProofTarget = { method: 'POST', url, accessToken: token };
    const body = JSON.stringify(chatBody({ max_tokens: 5 }));
    const sendChat = (lines: DpopHeaderLines, scheme = 'DPoP') =>
      sendRaw(url, {
        method: 'POST',
        headers: [
          ['Authorization', `${scheme} ${token}`],
          ['Content-Type', 'application/json'],
          ...lines.values.map((value): [string, string] => [lines.name, value]),
        ],
        body,
      });
    const proofLines = (proof: string): DpopHeaderLines => ({ name: 'DPoP', values: [proof] });
    let nonceSeen = false;
    const noted = (response: HttpResponse) => {
      if (errorCode(response) === 'use_dpop_nonce') nonceSeen = true;
      return response;
    };
    // What /v1/allowance reports as spent and reserved: a refused proof must move neither.
    const spending = async () => {
      const response = await callGateway(wallet.gateway, '/v1/allowance', connection);
      expectEqual(response.status, 200, 'status of /v1/allowance');
      const budget = member(response.json, 'budget');
      return Array.isArray(budget)
        ? budget.map((entry) => `${String(member(entry, 'spent'))}/${String(member(entry, 'reserved'))}`)
        : [];
    };
    const accepted = async (what: string, lines: DpopHeaderLines) => {
      const response = noted(await sendChat(lines));
      expectEqual(response.status, 200, `${what}: status`);
    };
    /** Each proof refused, nothing forwarded or billed, then the same request with a correct proof passes. */
    const refused = async (variants: { what: string; lines: DpopHeaderLines }[]) => {
      const before = await spending();
      for (const { what, lines } of variants) {
        sim.clearCalls();
        const response = noted(await sendChat(lines));
        expectBadProof(response, what);
        expectEqual(sim.calls.length, 0, `${what}: provider calls`);
      }
      expectEqual(await spending(), before, 'spent/reserved in /v1/allowance after the refused proofs');
      await accepted('the control: the same request with a correct proof', await correctLines(key, target));
    };

    let replayable = '';
    await check('valid-proof', async () => {
      replayable = await changedProof(key, target);
      await accepted('a correct proof', proofLines(replayable));
    });
    await check('bearer-scheme', async () => {
      const response = await sendChat(await correctLines(key, target), 'Bearer');
      expectBadProof(response, 'bound token as Bearer');
    });
    await check('unbound-dpop-scheme', async () => {
      const unbound = await app.connect(clients.app);
      const response = await callGateway(wallet.gateway, '/v1/chat/completions', null, {
        body: chatBody(),
        headers: {
          authorization: `DPoP ${unbound.accessToken}`,
          dpop: await key.proof('POST', url, { accessToken: unbound.accessToken }),
        },
      });
      expectEqual(
        [response.status, errorCode(response)],
        [401, 'invalid_token'],
        'unbound token with the DPoP scheme',
      );
      expect((response.headers.get('www-authenticate') ?? '').includes('DPoP '), 'no DPoP challenge');
    });
    const algorithms = await advertisedAlgorithms(wallet.gateway, wallet.metadata);
    for (const proofCase of PROOF_CASES) {
      await check(proofCase.name, async () => runCase(proofCase));
    }
    async function runCase(proofCase: ProofCase): Promise<void> {
      if (proofCase.unlessAdvertised && algorithms.includes(proofCase.unlessAdvertised)) {
        skip(`the wallet advertises ${proofCase.unlessAdvertised} in dpop_signing_alg_values_supported`);
      }
      const variants = await proofCase.variants(key, target);
      if (proofCase.outcome === 'refused') return refused(variants);
      for (const { what, lines } of variants) await accepted(what, lines);
    }
    await check('iat-window', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refused([
        {
          what: 'iat 2 minutes ahead',
          lines: proofLines(await changedProof(key, target, { claims: { iat: now + 120 } })),
        },
        {
          what: 'iat 10 minutes ago',
          lines: proofLines(await changedProof(key, target, { claims: { iat: now - 600 } })),
        },
      ]);
    });
    await check('replay', async () => {
      expect(replayable, 'the control proof was not accepted');
      await refused([{ what: 'a proof accepted once, replayed', lines: proofLines(replayable) }]);
    });
    await check('key-binding', async () => {
      const other = await DpopKey.generate();
      await refused([
        { what: 'a proof by another key', lines: proofLines(await changedProof(other, target)) },
      ]);
    });
    await check('nonce', async () => {
      if (!nonceSeen) skip('nonces not used at the gateway');
      const response = await sendChat(await correctLines(key, target));
      expectEqual(errorCode(response), 'use_dpop_nonce', 'code');
      expect(response.headers.get('dpop-nonce'), 'no DPoP-Nonce header');
    });
  },
});

/**
 * The proof algorithms the gateway advertises in its protected resource metadata (RFC 9728 §2),
 * or else the authorization server's.
 */
async function advertisedAlgorithms(gateway: string, metadata: Record<string, unknown>): Promise<string[]> {
  const url = new URL(gateway);
  const location = `${url.origin}/.well-known/oauth-protected-resource${url.pathname === '/' ? '' : url.pathname}`;
  const document = await send(location).catch(() => undefined);
  const listed =
    member(document?.json, 'dpop_signing_alg_values_supported') ??
    member(metadata, 'dpop_signing_alg_values_supported');
  return Array.isArray(listed) ? listed.filter((value): value is string => typeof value === 'string') : [];
}
