import type { ScriptedBrowser } from '@allowance/testing';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowance } from './allowance-builder.js';
import { AuthorizationDeniedError } from './authorization-errors.js';
import { discoverWallet } from './discover-wallet.js';
import {
  answerDeviceConsent,
  CLI_APP,
  signUpWithKeys,
  startTestWallet,
  type TestWallet,
} from './test-support/test-wallet.js';
import type { Wallet } from './wallet.js';

let testWallet: TestWallet;
let browser: ScriptedBrowser;
let wallet: Wallet;
const request = allowance().providers('anthropic').models('claude-sonnet-4-6').budget('1.00', 'day');

beforeAll(async () => {
  testWallet = await startTestWallet();
  browser = await signUpWithKeys(testWallet, 'device@example.com');
  wallet = await discoverWallet(testWallet.issuer, { clientId: CLI_APP.client_id }, { allowInsecure: true });
});
afterAll(async () => {
  await testWallet?.close();
});

describe('the device flow', () => {
  it('waits while the user has not decided, then connects once they approve in the browser', async () => {
    const device = await wallet.startDeviceAuthorization({ allowance: request, dpop: true });
    expect(device.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.verificationUri).toBe(`${testWallet.issuer}/device`);
    expect(device.expiresIn).toBeGreaterThan(0);
    const startedAt = Date.now();
    // The first poll answers authorization_pending; the user approves before the next one.
    const approved = device.waitForApproval();
    const { shownUserCode, done } = await answerDeviceConsent(
      browser,
      String(device.verificationUriComplete),
    );
    expect(shownUserCode).toBe(device.userCode);
    expect(done.document.querySelector('#device-done')).not.toBeNull();
    const connection = await approved;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(4_000);
    expect(connection.dpopBound).toBe(true);
    expect(connection.allowance).toMatchObject({ providers: ['anthropic'], models: ['claude-sonnet-4-6'] });

    const anthropic = new Anthropic({ ...connection.anthropic(), maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Hello from the terminal.' }],
    });
    expect(message.content[0]?.type).toBe('text');
    expect((await connection.status()).client_id).toBe(CLI_APP.client_id);
  });

  it('turns a denial into AuthorizationDeniedError', async () => {
    const device = await wallet.startDeviceAuthorization({ allowance: request });
    await answerDeviceConsent(browser, String(device.verificationUriComplete), 'deny');
    await expect(device.waitForApproval()).rejects.toBeInstanceOf(AuthorizationDeniedError);
  });

  it('stops waiting when the signal aborts', async () => {
    const device = await wallet.startDeviceAuthorization({ allowance: request });
    const controller = new AbortController();
    const waiting = device.waitForApproval({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the user pressed Ctrl-C')), 200);
    await expect(waiting).rejects.toThrow('the user pressed Ctrl-C');
  });
});
