import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ProviderSim, startProviderSim } from '@allowance/provider-sim';
import type { StreamSink } from './stream-sink.js';
import type { UpstreamCall, UpstreamEndpoint, UpstreamTarget } from './upstream-call.js';

/**
 * A provider simulator whose ids and clock are fixed, so that two identical requests get
 * byte-identical answers (the text is already deterministic).
 */
export function startFixedProviderSim(): Promise<ProviderSim> {
  return startProviderSim({ createId: (prefix) => `${prefix}fixed`, clock: () => 1_750_000_000_000 });
}

/** The simulator's provider `providerId` as an upstream target, optionally with another key. */
export function simTarget(sim: ProviderSim, providerId: string, apiKey?: string): UpstreamTarget {
  const provider = sim.providers.find((candidate) => candidate.id === providerId);
  if (provider === undefined) throw new Error(`No simulated provider ${providerId}`);
  return {
    providerId,
    api: provider.family,
    baseUrl: sim.baseURL(providerId),
    apiKey: apiKey ?? provider.apiKey,
  };
}

/** A call with the defaults tests rarely change. */
export function upstreamCall(
  endpoint: UpstreamEndpoint,
  target: UpstreamTarget,
  body: Record<string, unknown>,
  overrides: Partial<UpstreamCall> = {},
): UpstreamCall {
  return {
    endpoint,
    target,
    body,
    stream: body.stream === true,
    appWantsUsage: true,
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** A sink that keeps everything it is given. */
export interface RecordingSink extends StreamSink {
  readonly starts: { status: number; headers: Record<string, string> }[];
  readonly chunks: Buffer[];
  /** Everything written, as text. */
  text(): string;
}

/**
 * A sink that records writes. `isBehind` decides what each `write` returns, and `drained`
 * resolves when `drain()` is called (or at once while the sink is not behind).
 */
export function recordingSink(): RecordingSink & { isBehind: boolean; drain(): void } {
  let releaseDrain: (() => void) | undefined;
  const sink = {
    starts: [] as { status: number; headers: Record<string, string> }[],
    chunks: [] as Buffer[],
    isBehind: false,
    text: () => Buffer.concat(sink.chunks).toString('utf8'),
    start(status: number, headers: Record<string, string>) {
      sink.starts.push({ status, headers });
    },
    write(chunk: Buffer) {
      if (sink.starts.length !== 1) throw new Error('write before start');
      sink.chunks.push(chunk);
      return !sink.isBehind;
    },
    drained() {
      if (!sink.isBehind) return Promise.resolve();
      return new Promise<void>((resolve) => {
        releaseDrain = resolve;
      });
    },
    drain() {
      sink.isBehind = false;
      releaseDrain?.();
    },
  };
  return sink;
}

/** A request a {@link startFakeProvider} server received. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback HTTP server answering with `handler`, recording every request it gets. */
export async function startFakeProvider(
  handler: (request: ReceivedRequest, response: ServerResponse) => void,
): Promise<{ url: string; received: ReceivedRequest[]; close(): Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      handler(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
