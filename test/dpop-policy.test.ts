import { createHash, randomUUID } from 'node:crypto';
import { allowance, discoverWallet } from '@allowance/client';
import type { ScriptedBrowser } from '@allowance/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKeyPair } from 'oauth4webapi';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// Spec DPOP-3 and DPOP-16 through the whole wallet: a grant the user made DPoP-only refuses
// Bearer tokens at once; public clients get DPoP-bound tokens by default; with nonces on, the
// gateway asks for one and the client SDK answers without the app noticing.

const BROWSER_APP = {
  client_id: 'browser-app',
  client_name: 'Browser App',
  redirect_uris: ['http://127.0.0.1:5997/callback'],
};
const request = {
  model: 'gpt-4.1-mini',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_tokens: 20,
};
const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

let harness: Harness;
let owner: ScriptedBrowser;

beforeAll(async () => {
  harness = await startHarness({ clients: [BROWSER_APP], gatewayOptions: { dpopNonces: true } });
  owner = await userWithKeys(harness, 'dpop-policy@example.com');
});
afterAll(async () => {
  await harness?.close();
});

async function spent(grantId: string) {
  const rows = await harness.store.database
    .selectFrom('ledger')
    .select('cost_micros')
    .where('grant_id', '=', grantId)
    .execute();
  return rows.reduce((sum, row) => sum + Number(row.cost_micros), 0);
}

async function chat(headers: Record<string, string>) {
  const response = await fetch(`${harness.wallet.gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(request),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return {
    status: response.status,
    code: body.error?.code,
    challenge: response.headers.get('www-authenticate') ?? '',
    nonce: response.headers.get('dpop-nonce'),
  };
}

describe('a grant the user made DPoP-only', () => {
  it('refuses its Bearer tokens from the next call, bills nothing, and takes them again when turned off', async () => {
    const { accessToken, grantId } = await connectApp(harness, owner, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    const bearer = { authorization: `Bearer ${accessToken}` };
    expect((await chat(bearer)).status).toBe(200);
    const before = await spent(grantId);

    const home = await owner.open(`${harness.wallet.issuer}/`);
    const saved = await owner.submit(home, `form[action="/grants/${grantId}/dpop"]`, { require_dpop: 'yes' });
    expect(saved.status).toBe(200);
    const refused = await chat(bearer);
    expect(refused).toMatchObject({ status: 401, code: 'invalid_dpop_proof' });
    expect(refused.challenge).toContain('DPoP realm="allowance", error="invalid_dpop_proof"');
    expect(await spent(grantId)).toBe(before);

    const again = await owner.open(`${harness.wallet.issuer}/`);
    await owner.submit(again, `form[action="/grants/${grantId}/dpop"]`, { require_dpop: null });
    expect((await chat(bearer)).status).toBe(200);
  });
});

describe('a public client under the default policy, with gateway nonces on', () => {
  it('connects with DPoP through the SDK, which answers the nonce challenge by itself', async () => {
    const wallet = await discoverWallet(
      harness.wallet.issuer,
      { clientId: BROWSER_APP.client_id, redirectUri: BROWSER_APP.redirect_uris[0] as string },
      { allowInsecure: true },
    );
    const { url, pending } = await wallet.startAuthorization({
      allowance: allowance().providers('openai').models('gpt-4.1-mini').budget('1.00', 'day'),
    });
    const consent = await owner.open(url.href);
    // The consent screen says the app's tokens are bound, rather than offering the choice.
    expect(consent.html).toContain('DPoP');
    expect(consent.document.querySelector('input[name="require_dpop"]')).toBeNull();
    await owner.submit(consent, '#consent', {}, { name: 'decision', value: 'approve' });
    if (!owner.leftTo) throw new Error('consent did not return to the app');
    const connection = await wallet.finishAuthorization(owner.leftTo, pending);
    expect(connection.dpopBound).toBe(true);
    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    const answer = await openai.chat.completions.create(request);
    expect(answer.choices[0]?.message.content).toBeTruthy();
  });

  it('asks a proof without a nonce for one, then accepts the proof that carries it', async () => {
    const keys = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
    const jwk = await exportJWK(keys.publicKey);
    const { accessToken, grantId } = await connectApp(
      harness,
      owner,
      { providers: ['openai'], models: ['gpt-4.1-mini'] },
      {},
      { dpopKeys: keys },
    );
    const proof = (nonce?: string) =>
      new SignJWT({
        jti: randomUUID(),
        htm: 'POST',
        htu: `${harness.wallet.gateway}/v1/chat/completions`,
        iat: Math.floor(Date.now() / 1000),
        ath: hash(accessToken),
        ...(nonce && { nonce }),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .sign(keys.privateKey);
    const authorization = `DPoP ${accessToken}`;

    const challenged = await chat({ authorization, dpop: await proof() });
    expect(challenged).toMatchObject({ status: 401, code: 'use_dpop_nonce' });
    expect(challenged.challenge).toContain('error="use_dpop_nonce"');
    expect(challenged.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await spent(grantId)).toBe(0);

    const forged = await chat({ authorization, dpop: await proof('A'.repeat(43)) });
    expect(forged).toMatchObject({ status: 401, code: 'use_dpop_nonce' });

    const accepted = await chat({ authorization, dpop: await proof(challenged.nonce ?? '') });
    expect(accepted.status).toBe(200);
    // Each answer carries the current nonce for the next proof.
    expect(accepted.nonce).toBe(challenged.nonce);
    expect(await spent(grantId)).toBeGreaterThan(0);
  });
});
