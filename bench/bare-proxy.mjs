#!/usr/bin/env node
// The floor any Node gateway can reach: node:http in, one keep-alive undici Pool out, the body
// piped both ways untouched (JSON and SSE alike), no parsing, no auth, no metering.
// Usage: node bench/bare-proxy.mjs --port 9000 --upstream http://127.0.0.1:8090/openai
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
const upstream = new URL(values.upstream);
const prefix = upstream.pathname.replace(/\/$/, '');
const pool = new Pool(upstream.origin, { connections: 128, keepAliveTimeout: 30_000 });
const FORWARDED = ['authorization', 'content-type', 'accept'];

const server = createServer((request, response) => {
  const headers = {};
  for (const name of FORWARDED) if (request.headers[name]) headers[name] = request.headers[name];
  pool
    .request({ method: request.method, path: `${prefix}${request.url}`, headers, body: request })
    .then(async (answer) => {
      const type = answer.headers['content-type'];
      response.writeHead(answer.statusCode, type ? { 'content-type': type } : {});
      await pipeline(answer.body, response);
    })
    .catch(() => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`bare proxy listening on ${values.port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  pool.close().finally(() => process.exit(0));
});
