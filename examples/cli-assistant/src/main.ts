#!/usr/bin/env node
import { runCliAssistant } from './cli-assistant.js';
import { defaultConfigDirectory } from './saved-connection.js';

const question = process.argv.slice(2).join(' ').trim();
if (!question) {
  process.stderr.write('Usage: cli-assistant <question about your code>\n');
  process.exit(2);
}
process.exitCode = await runCliAssistant({
  question,
  walletIssuer: process.env.WALLET_ISSUER ?? 'http://localhost:8080',
  clientId: process.env.CLIENT_ID ?? 'cli-assistant',
  model: process.env.MODEL ?? 'claude-sonnet-4-6',
  configDirectory: process.env.CLI_ASSISTANT_CONFIG ?? defaultConfigDirectory(),
  print: (line) => process.stdout.write(`${line}\n`),
});
