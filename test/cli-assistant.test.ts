import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSavedConnection, runCliAssistant } from '@allowance/example-cli-assistant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

const CLI_CLIENT = {
  client_id: 'cli-assistant',
  client_name: 'CLI Assistant',
  redirect_uris: [],
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  application_type: 'native',
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ clients: [CLI_CLIENT] });
});
afterAll(async () => {
  await harness?.close();
});

describe('the CLI assistant example', () => {
  it('connects with the device flow, keeps its connection in a 0600 file, and prints each call’s cost', async () => {
    const browser = await userWithKeys(harness, 'terminal@example.com');
    const configDirectory = join(mkdtempSync(join(tmpdir(), 'cli-assistant-')), 'config');
    const lines: string[] = [];
    const options = {
      question: 'What does a closure capture?',
      walletIssuer: harness.wallet.issuer,
      clientId: 'cli-assistant',
      model: 'claude-sonnet-4-6',
      configDirectory,
      print: (line: string) => lines.push(line),
    };
    const run = runCliAssistant(options);
    await expect
      .poll(() => lines.find((line) => line.startsWith('To connect')), { timeout: 10_000 })
      .toBeTruthy();
    const verification = /open (\S+)/.exec(lines[0] ?? '')?.[1] ?? '';
    const entry = await browser.open(verification);
    const confirm = entry.document.querySelector('form') ? await browser.submit(entry, 'form') : entry;
    const consent = await browser.submit(confirm, 'form#op\\.deviceConfirmForm');
    await browser.submit(consent, '#consent', {}, { name: 'decision', value: 'approve' });
    expect(await run).toBe(0);
    expect(lines).toContain('Connected.');
    const costLine = lines.find((line) => line.startsWith('— cost '));
    expect(costLine).toMatch(/^— cost \d+\.\d{2,6} USD, \d+\.\d{2,6} USD left$/);
    expect(statSync(join(configDirectory, 'connection.json')).mode & 0o777).toBe(0o600);
    expect(readSavedConnection(configDirectory)).toBeDefined();

    const again: string[] = [];
    expect(await runCliAssistant({ ...options, print: (line) => again.push(line) })).toBe(0);
    expect(again.some((line) => line.startsWith('To connect'))).toBe(false);
    expect(again.some((line) => line.startsWith('— cost '))).toBe(true);
  });
});
