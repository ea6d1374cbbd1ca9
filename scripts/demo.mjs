#!/usr/bin/env node
// npm run demo: the provider simulator as the demo account's OpenAI, Anthropic and DeepSeek, the
// wallet, and the blog assistant, on fixed loopback ports; prints the three URLs and the login.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWalletOptions, serveWallet } from '@allowance/cli';
import { startBlogAssistant } from '@allowance/example-blog-assistant';
import { startProviderSim } from '@allowance/provider-sim';
import { ScriptedBrowser } from '@allowance/testing';

const walletPort = Number(process.env.WALLET_PORT ?? 8080);
const blogPort = Number(process.env.BLOG_PORT ?? 3000);
const simPort = Number(process.env.SIM_PORT ?? 8090);
const login = { email: 'demo@allowance.local', password: 'demo-password-123' };

const step = (message) => process.stdout.write(`• ${message}\n`);
const issuer = `http://localhost:${walletPort}`;
const blogUrl = `http://localhost:${blogPort}`;

step(`starting the provider simulator on port ${simPort}`);
const sim = await startProviderSim({ host: '127.0.0.1', port: simPort, rules: [{ tokensPerSecond: 40 }] });

const dataDirectory = mkdtempSync(join(tmpdir(), 'allowance-demo-'));
step(`starting the wallet on port ${walletPort} (data in ${dataDirectory}, fresh each run)`);
const wallet = await serveWallet({
  ...readWalletOptions({ port: String(walletPort), data: dataDirectory, issuer }, {}),
  clients: [
    { client_id: 'blog-assistant', client_name: 'Blog Assistant', redirect_uris: [`${blogUrl}/callback`] },
    {
      client_id: 'cli-assistant',
      client_name: 'CLI Assistant',
      redirect_uris: [],
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      application_type: 'native',
    },
  ],
});

step('creating the demo account and storing the simulator as its providers');
const browser = new ScriptedBrowser(issuer);
let page = await browser.submit(await browser.open(`${issuer}/signin`), 'form[action="/signup"]', login);
for (const provider of ['openai', 'anthropic', 'deepseek']) {
  page = await browser.submit(page, '#add-key', {
    providerId: provider,
    apiKey: sim.apiKey(provider),
    baseUrl: sim.baseURL(provider),
  });
  if (page.status !== 200) throw new Error(`could not store the ${provider} key`);
}

step(`starting the blog assistant on port ${blogPort}`);
const blog = await startBlogAssistant({
  walletIssuer: issuer,
  publicUrl: blogUrl,
  clientId: 'blog-assistant',
  model: 'gpt-4.1-mini',
  port: blogPort,
});

process.stdout.write(`
Allowance demo is running.

  Your wallet        ${issuer}      sign in as ${login.email} / ${login.password}
  Blog Assistant     ${blogUrl}      an app that asks your wallet for an allowance
  Provider simulator ${sim.url}      stands in for OpenAI, Anthropic and DeepSeek

Try it: open the Blog Assistant, press "Connect your AI wallet", sign in, lower the budget and
untick a model on the consent screen, approve, and ask for a rewrite. Watch the call and its cost
on your wallet's page, then revoke the app there and see the assistant lose access.

The terminal helper connects with the device flow:
  WALLET_ISSUER=${issuer} node examples/cli-assistant/dist/main.js "Explain what a closure is"

Press Ctrl+C to stop.
`);

const stop = async () => {
  process.stdout.write('Stopping…\n');
  await blog.close();
  await wallet.close();
  await sim.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
