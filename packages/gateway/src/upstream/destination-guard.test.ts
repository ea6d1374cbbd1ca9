import dns from 'node:dns';
import {
  type AddressInfo,
  createServer,
  isIP,
  type LookupFunction,
  type Server,
  type Socket,
} from 'node:net';
import type { Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpstream } from './create-upstream.js';
import type { UpstreamTarget } from './upstream-call.js';
import { recordingSink, upstreamCall } from './upstream-test-support.js';

// Where the gateway sends a provider key (spec SEC-7, SEC-8): never in clear to a host that is not
// loopback, never to link-local or metadata addresses, to private ones only by the owner's choice
// for that key, checked on the address actually connected to. No test here resolves a real name
// or sends a packet to anything but 127.0.0.1: names go through a stand-in resolver, and the real
// resolver is replaced by one that refuses, so a lookup that escaped the stand-in fails loudly.

const realLookup = dns.lookup;
const strayLookups: string[] = [];
beforeAll(() => {
  dns.lookup = ((hostname: string, options: unknown, callback?: unknown) => {
    // An IP literal is parsed, not looked up (listening on 127.0.0.1 comes this way).
    if (isIP(hostname) !== 0)
      return (realLookup as (...parts: unknown[]) => void)(hostname, options, callback);
    strayLookups.push(hostname);
    const done = (typeof options === 'function' ? options : callback) as (error: Error) => void;
    done(Object.assign(new Error(`real DNS is off in this test (${hostname})`), { code: 'ENOTFOUND' }));
  }) as typeof dns.lookup;
});
afterAll(() => {
  dns.lookup = realLookup;
});
afterEach(() => {
  expect(strayLookups).toEqual([]);
});

/** A dispatcher that records what it was asked to send and sends nothing. */
function spyDispatcher(): Dispatcher & { origins: string[] } {
  const origins: string[] = [];
  const refuse = () => Object.assign(new Error('the spy sends nothing'), { code: 'ECONNREFUSED' });
  return {
    origins,
    request(options: { origin: string }) {
      origins.push(String(options.origin));
      return Promise.reject(refuse());
    },
    dispatch() {
      throw refuse();
    },
    close: () => Promise.resolve(),
  } as unknown as Dispatcher & { origins: string[] };
}

const target = (baseUrl: string, privateNetworkAllowed?: boolean): UpstreamTarget => ({
  providerId: 'acme-gateway',
  api: 'openai',
  baseUrl,
  apiKey: 'sk-acme-secret-0000',
  ...(privateNetworkAllowed === undefined ? {} : { privateNetworkAllowed }),
});
const chat = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }] };

describe('a base URL the key must not go to is refused before anything is sent', () => {
  it.each([
    ['http://192.0.2.10/v1', true, 'cleartext'],
    ['http://api.example.test/v1', true, 'cleartext'],
    ['https://169.254.169.254/v1', true, 'forbidden_address'],
    ['https://[fe80::1]/v1', true, 'forbidden_address'],
    ['https://[fd00:ec2::254]/v1', true, 'forbidden_address'],
    ['https://100.100.100.200/v1', true, 'forbidden_address'],
    ['https://metadata.google.internal/v1', true, 'forbidden_address'],
    ['https://0.0.0.0/v1', true, 'forbidden_address'],
    ['https://224.0.0.1/v1', true, 'forbidden_address'],
    ['https://10.0.0.1/v1', false, 'private_address'],
    ['https://[fd12::1]/v1', false, 'private_address'],
    ['https://100.64.0.9/v1', undefined, 'private_address'],
  ] as const)('%s (private network allowed: %s): %s (SEC-7, SEC-8)', async (baseUrl, allowed, problem) => {
    const dispatcher = spyDispatcher();
    await using upstream = createUpstream({ dispatcher });
    const result = await upstream.call(upstreamCall('chat.completions', target(baseUrl, allowed), chat));
    expect(dispatcher.origins).toEqual([]);
    expect(result.ok ? undefined : [result.failure.kind, result.failure.problem]).toEqual([
      'refused',
      problem,
    ]);
    expect(result.ok ? '' : result.failure.message).not.toContain('sk-acme-secret');
    const sink = recordingSink();
    const streamed = await upstream.stream(
      upstreamCall('chat.completions', target(baseUrl, allowed), { ...chat, stream: true }),
      sink,
    );
    expect(dispatcher.origins).toEqual([]);
    expect(sink.starts).toEqual([]);
    expect(streamed.failure?.kind).toBe('refused');
  });

  it('sends to a private address when the owner chose it for the key, and to loopback (SEC-8)', async () => {
    const dispatcher = spyDispatcher();
    await using upstream = createUpstream({ dispatcher });
    for (const baseUrl of ['https://10.0.0.1/v1', 'http://127.0.0.1:9/v1', 'http://localhost:9/v1']) {
      const result = await upstream.call(upstreamCall('chat.completions', target(baseUrl, true), chat));
      expect(result.ok ? undefined : result.failure.kind, baseUrl).toBe('connect');
    }
    expect(dispatcher.origins).toEqual(['https://10.0.0.1', 'http://127.0.0.1:9', 'http://localhost:9']);
  });
});

describe('the address a name resolves to is checked as it is connected to (SEC-8 rule 4)', () => {
  let listener: Server;
  let port: number;
  const connections: Socket[] = [];
  beforeAll(async () => {
    // Stands for the provider's TLS endpoint: it takes the connection and hangs up at once, so
    // each call needs a fresh connection and therefore a fresh resolution.
    listener = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
  });

  /**
   * A resolver stand-in: each name gives the next of its answers (the last one repeats); an answer
   * is one address or several.
   */
  function standIn(answers: Record<string, ReadonlyArray<string | readonly string[]>>) {
    const asked: string[] = [];
    const lookup: LookupFunction = (hostname, options, callback) => {
      asked.push(hostname);
      const list = answers[hostname] ?? [];
      const seen = asked.filter((name) => name === hostname).length;
      const answer = list[Math.min(seen, list.length) - 1];
      if (answer === undefined) {
        callback(Object.assign(new Error(`no stand-in answer for ${hostname}`), { code: 'ENOTFOUND' }), '');
        return;
      }
      const addresses = (typeof answer === 'string' ? [answer] : answer).map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));
      const [first] = addresses;
      if (options.all) callback(null, addresses);
      else callback(null, first?.address ?? '', first?.family);
    };
    return { lookup, asked };
  }

  const call = (upstream: ReturnType<typeof createUpstream>, hostname: string, allowed?: boolean) =>
    upstream.call(upstreamCall('chat.completions', target(`https://${hostname}:${port}/v1`, allowed), chat));

  it('refuses a public name that resolves to loopback, private, link-local or metadata space', async () => {
    const resolver = standIn({
      'loopback.example.test': ['127.0.0.1'],
      'private.example.test': ['10.0.0.1'],
      'lan6.example.test': ['fd12::7'],
      'link-local.example.test': ['169.254.10.10'],
      'metadata.example.test': ['169.254.169.254'],
      'mapped.example.test': ['::ffff:169.254.169.254'],
    });
    await using upstream = createUpstream({ lookup: resolver.lookup });
    const before = connections.length;
    for (const [hostname, problem] of [
      ['loopback.example.test', 'private_address'],
      ['private.example.test', 'private_address'],
      ['lan6.example.test', 'private_address'],
      ['link-local.example.test', 'forbidden_address'],
      ['metadata.example.test', 'forbidden_address'],
      ['mapped.example.test', 'forbidden_address'],
    ] as const) {
      const result = await call(upstream, hostname);
      expect(result.ok ? undefined : [result.failure.kind, result.failure.problem], hostname).toEqual([
        'refused',
        problem,
      ]);
    }
    expect(resolver.asked).toHaveLength(6);
    expect(connections.length).toBe(before);
  });

  it('refuses link-local and metadata answers even for a key on the owner’s private network', async () => {
    const resolver = standIn({
      'metadata.example.test': ['169.254.169.254'],
      'fe.example.test': ['fe80::1'],
    });
    await using upstream = createUpstream({ lookup: resolver.lookup });
    for (const hostname of ['metadata.example.test', 'fe.example.test']) {
      const result = await call(upstream, hostname, true);
      expect(result.ok ? undefined : result.failure.problem, hostname).toBe('forbidden_address');
    }
  });

  it('connects where the owner chose a private network for the key', async () => {
    const resolver = standIn({ 'lan.example.test': ['127.0.0.1'] });
    await using upstream = createUpstream({ lookup: resolver.lookup });
    const before = connections.length;
    const result = await call(upstream, 'lan.example.test', true);
    // The listener hangs up during the TLS handshake: the connection was made, to 127.0.0.1.
    expect(result.ok ? undefined : result.failure.kind).toBe('connect');
    expect(connections.length).toBe(before + 1);
  });

  it('checks every connection’s own answer, so a name that changes its answer cannot slip through', async () => {
    // First the owner's LAN address (allowed for this key), then the metadata service.
    const resolver = standIn({ 'rebind.example.test': ['127.0.0.1', '169.254.169.254'] });
    await using upstream = createUpstream({ lookup: resolver.lookup });
    const before = connections.length;
    const first = await call(upstream, 'rebind.example.test', true);
    expect(first.ok ? undefined : first.failure.kind).toBe('connect');
    expect(connections.length).toBe(before + 1);
    const second = await call(upstream, 'rebind.example.test', true);
    expect(second.ok ? undefined : [second.failure.kind, second.failure.problem]).toEqual([
      'refused',
      'forbidden_address',
    ]);
    expect(connections.length).toBe(before + 1);
    expect(resolver.asked).toEqual(['rebind.example.test', 'rebind.example.test']);
  });

  it('refuses an answer in which any address is refused, before connecting to any of them', async () => {
    const resolver = standIn({ 'mixed.example.test': [['127.0.0.1', '169.254.169.254']] });
    await using upstream = createUpstream({ lookup: resolver.lookup });
    const before = connections.length;
    const result = await call(upstream, 'mixed.example.test', true);
    expect(result.ok ? undefined : [result.failure.kind, result.failure.problem]).toEqual([
      'refused',
      'forbidden_address',
    ]);
    expect(connections.length).toBe(before);
  });

  it('keeps keys with and without the private-network choice on separate connections', async () => {
    const resolver = standIn({ 'shared.example.test': ['127.0.0.1'] });
    await using upstream = createUpstream({ lookup: resolver.lookup });
    const allowed = await call(upstream, 'shared.example.test', true);
    expect(allowed.ok ? undefined : allowed.failure.kind).toBe('connect');
    const refused = await call(upstream, 'shared.example.test', false);
    expect(refused.ok ? undefined : refused.failure.problem).toBe('private_address');
  });
});
