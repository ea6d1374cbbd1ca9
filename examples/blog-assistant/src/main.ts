#!/usr/bin/env node
import { startBlogAssistant } from './blog-assistant.js';

const port = Number(process.env.PORT ?? 3000);
const app = await startBlogAssistant({
  walletIssuer: process.env.WALLET_ISSUER ?? 'http://localhost:8080',
  publicUrl: process.env.PUBLIC_URL ?? `http://localhost:${port}`,
  clientId: process.env.CLIENT_ID ?? 'blog-assistant',
  model: process.env.MODEL ?? 'gpt-4.1-mini',
  port,
});
process.stdout.write(
  `Blog Assistant on ${app.url} (wallet ${process.env.WALLET_ISSUER ?? 'http://localhost:8080'})\n`,
);
process.once('SIGINT', () => void app.close());
process.once('SIGTERM', () => void app.close());
