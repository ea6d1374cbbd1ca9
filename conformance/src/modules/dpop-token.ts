import { defineModule } from '../model/module.js';
import type { CheckDeclaration } from '../model/types.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { DpopKey } from '../wire/dpop-key.js';
import {
  changedProof,
  type DpopHeaderLines,
  PROOF_CASES,
  type ProofCase,
  type ProofTarget,
} from '../wire/dpop-proofs.js';
import { formBody, type HttpResponse, member } from '../wire/http.js';
import { sendRaw } from '../wire/raw-request.js';
import { decodeJws, type SuiteApp, type SuiteClient } from '../wire/suite-app.js';
import { freshCode } from './token.js';

/** The cases that apply where no access token is presented (DPOP-2: every check but `ath`). */
const tokenCases = PROOF_CASES.filter((proofCase) => !proofCase.gatewayOnly);

const caseChecks = Object.fromEntries(
  tokenCases.map((proofCase): [string, CheckDeclaration] => [
    proofCase.name,
    {
      requirements: [
        proofCase.outcome === 'refused' ? 'DPOP-2' : 'DPOP-1',
        ...(proofCase.tokenRequirements ?? proofCase.requirements),
      ],
      summary: `${proofCase.summary}, on a code exchange and on a refresh`,
    },
  ]),
);

const errorOf = (response: HttpResponse) => member(response.json, 'error');

/** DPoP at the token endpoint (Part 4 §4.3, RFC 9449 §5). */
export const dpopTokenModule = defineModule<string>({
  name: 'dpop-token',
  plan: 'dpop',
  kind: 'driver',
  summary:
    'Binding tokens to a DPoP key at the token endpoint, and refusing bad proofs with 400 invalid_dpop_proof',
  checks: {
    bound: {
      requirements: ['DPOP-1'],
      summary: 'a valid proof yields token_type DPoP and cnf.jkt equal to the key thumbprint',
    },
    ...caseChecks,
    replay: {
      requirements: ['DPOP-2', 'DPOP-13'],
      summary: 'a proof accepted once is refused when sent again, on a code exchange and on a refresh',
    },
    'required-for-client': {
      requirements: ['DPOP-3'],
      summary:
        'a client registered with dpop_bound_access_tokens gets 400 invalid_dpop_proof without a proof',
    },
    'refresh-bound': {
      requirements: ['DPOP-4'],
      summary:
        'a DPoP-bound refresh token is refused with invalid_grant without a proof or with another key, and works with its key',
    },
    nonce: {
      requirements: ['DPOP-5'],
      summary:
        'a wallet that uses nonces answers a proof without one with use_dpop_nonce and a DPoP-Nonce header',
    },
  },
  async run({ check, app, clients }) {
    const client = clients.dpop ?? clients.app;
    const tokenEndpoint = app.endpoint('token_endpoint');
    const target: ProofTarget = { method: 'POST', url: tokenEndpoint };
    const post = (form: Record<string, string>, lines: DpopHeaderLines) =>
      tokenRequestWith(app, client, form, lines);
    const oneLine = (proof: string): DpopHeaderLines => ({ name: 'DPoP', values: [proof] });
    const codeForm = (code: string, verifier: string) => ({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirect_uri,
      code_verifier: verifier,
    });
    const refreshForm = (refreshToken: string) => ({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    /** The problem with a response that should be 400 invalid_dpop_proof (RFC 9449 §5), if any. */
    const refusalProblem = (response: HttpResponse, what: string) =>
      response.status === 400 && errorOf(response) === 'invalid_dpop_proof'
        ? undefined
        : `${what}: expected 400 invalid_dpop_proof, got ${response.status} ${String(errorOf(response) ?? response.text.slice(0, 80))}`;

    await check('bound', async () => {
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, client);
      expectBound(await app.exchange(client, code, verifier, { dpopKey: key }), key, 'code exchange');
    });

    for (const proofCase of tokenCases) {
      await check(proofCase.name, async () => runCase(proofCase));
    }
    async function runCase(proofCase: ProofCase): Promise<void> {
      const algorithms = member(app.wallet.metadata, 'dpop_signing_alg_values_supported');
      if (
        proofCase.unlessAdvertised &&
        Array.isArray(algorithms) &&
        algorithms.includes(proofCase.unlessAdvertised)
      ) {
        skip(`the wallet advertises ${proofCase.unlessAdvertised} in dpop_signing_alg_values_supported`);
      }
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, client);
      if (proofCase.outcome === 'accepted') {
        const [first, ...others] = await proofCase.variants(key, target);
        if (!first) return;
        const issued = expectBound(
          await post(codeForm(code, verifier), first.lines),
          key,
          `code exchange, ${first.what}`,
        );
        let refreshToken = issued;
        // Every variant again on a refresh, each with the refresh token the last one returned.
        for (const { what, lines } of [first, ...others]) {
          const again = (await proofCase.variants(key, target)).find((variant) => variant.what === what);
          refreshToken = expectBound(
            await post(refreshForm(refreshToken), again?.lines ?? lines),
            key,
            `refresh, ${what}`,
          );
        }
        return;
      }
      const problems: string[] = [];
      for (const { what, lines } of await proofCase.variants(key, target)) {
        const problem = refusalProblem(await post(codeForm(code, verifier), lines), `code exchange, ${what}`);
        if (problem) problems.push(problem);
      }
      const refreshToken = expectBound(
        await app.tokenRequest(client, codeForm(code, verifier), key),
        key,
        'the control: the same code exchange with a correct proof',
      );
      for (const { what, lines } of await proofCase.variants(key, target)) {
        const problem = refusalProblem(await post(refreshForm(refreshToken), lines), `refresh, ${what}`);
        if (problem) problems.push(problem);
      }
      expectBound(
        await app.refresh(client, refreshToken, key),
        key,
        'the control: the same refresh with a correct proof',
      );
      expect(problems.length === 0, problems.join('; '));
    }

    await check('replay', async () => {
      const key = await DpopKey.generate();
      const problems: string[] = [];
      const used = await changedProof(key, target);
      const first = await freshCode(app, client);
      const refreshToken = expectBound(
        await post(codeForm(first.code, first.verifier), oneLine(used)),
        key,
        'the control: a code exchange with a fresh proof',
      );
      const second = await freshCode(app, client);
      const replayed = refusalProblem(
        await post(codeForm(second.code, second.verifier), oneLine(used)),
        'code exchange with a proof already accepted',
      );
      if (replayed) problems.push(replayed);
      const refreshProof = await changedProof(key, target);
      const rotated = expectBound(
        await post(refreshForm(refreshToken), oneLine(refreshProof)),
        key,
        'the control: a refresh with a fresh proof',
      );
      const replayedRefresh = refusalProblem(
        await post(refreshForm(rotated), oneLine(refreshProof)),
        'refresh with a proof already accepted',
      );
      if (replayedRefresh) problems.push(replayedRefresh);
      expectBound(
        await app.refresh(client, rotated, key),
        key,
        'the control: that refresh with a fresh proof',
      );
      expect(problems.length === 0, problems.join('; '));
    });

    await check('required-for-client', async () => {
      if (!clients.dpop) skip('no client registered with dpop_bound_access_tokens');
      const { code, verifier } = await freshCode(app, clients.dpop);
      const response = await app.exchange(clients.dpop, code, verifier);
      expectEqual(
        [response.status, member(response.json, 'error')],
        [400, 'invalid_dpop_proof'],
        'status and error',
      );
    });
    await check('refresh-bound', async () => {
      // A public client that does not require DPoP, so that a missing proof is a binding question ([DPOP-4]), not [DPOP-3].
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, clients.app);
      const tokens = await app.exchange(clients.app, code, verifier, { dpopKey: key });
      const refreshToken = String(member(tokens.json, 'refresh_token'));
      const without = await app.refresh(clients.app, refreshToken);
      expectEqual(member(without.json, 'error'), 'invalid_grant', 'refresh without a proof');
      const otherKey = await app.refresh(clients.app, refreshToken, await DpopKey.generate());
      expectEqual(member(otherKey.json, 'error'), 'invalid_grant', 'refresh with another key');
      const same = await app.refresh(clients.app, refreshToken, key);
      expectEqual(same.status, 200, 'refresh with the bound key');
    });
    await check('nonce', async () => {
      // Only a correct proof without a nonce tells whether nonces are required: oidc-provider, for
      // one, also offers a nonce for a proof whose iat is out of its window, nonces required or not.
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, client);
      const response = await post(codeForm(code, verifier), oneLine(await changedProof(key, target)));
      if (response.status === 200) skip('nonces not used at the token endpoint');
      expectEqual([response.status, errorOf(response)], [400, 'use_dpop_nonce'], 'status and error');
      expect(response.headers.get('dpop-nonce'), 'no DPoP-Nonce header');
    });
  },
});

/**
 * Asserts a 200 token response bound to `key` (token_type DPoP, cnf.jkt its thumbprint, [DPOP-1])
 * and returns its refresh token.
 */
function expectBound(response: HttpResponse, key: DpopKey, what: string): string {
  expectEqual(response.status, 200, `${what}: status (${String(errorOf(response) ?? '')})`);
  expectEqual(member(response.json, 'token_type'), 'DPoP', `${what}: token_type`);
  const claims = decodeJws(String(member(response.json, 'access_token'))).claims;
  expectEqual(member(claims, 'cnf', 'jkt'), key.thumbprint, `${what}: cnf.jkt`);
  return String(member(response.json, 'refresh_token') ?? '');
}

/** A token request whose DPoP header lines are sent exactly as given. */
function tokenRequestWith(
  app: SuiteApp,
  client: SuiteClient,
  form: Record<string, string>,
  lines: DpopHeaderLines,
): Promise<HttpResponse> {
  const body = { ...(client.client_secret === undefined && { client_id: client.client_id }), ...form };
  return sendRaw(app.endpoint('token_endpoint'), {
    method: 'POST',
    headers: [
      ...Object.entries(app.clientAuthentication(client)),
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ...lines.values.map((value): [string, string] => [lines.name, value]),
    ],
    body: formBody(body),
  });
}
