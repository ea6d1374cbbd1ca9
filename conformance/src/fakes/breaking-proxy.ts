import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the proxy received it, body buffered. */
export interface ProxiedRequest {
  /** The client's address, kept as the source of the forwarded request. */
  clientAddress: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A response, body buffered. */
export interface ProxiedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Sends a request on to the real wallet. */
export type Forward = (request: ProxiedRequest) => Promise<ProxiedResponse>;

/** One deliberate defect: given a request and a way to forward it, produce the response. */
export type Breakage = (request: ProxiedRequest, forward: Forward) => Promise<ProxiedResponse>;

/** A reverse proxy in front of a wallet whose behaviour can be broken one defect at a time. */
export interface BreakingProxy extends AsyncDisposable {
  readonly port: number;
  /** Target port of the real wallet; set once it listens. */
  target: number;
  /** The defect in force; `undefined` forwards faithfully. */
  breakage: Breakage | undefined;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length'];

function forwardTo(port: () => number): Forward {
  return (request) =>
    new Promise((resolve, reject) => {
      const headers = { ...request.headers };
      for (const name of HOP_BY_HOP) delete headers[name];
      headers['content-length'] = String(request.body.length);
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port: port(),
          method: request.method,
          path: request.path,
          headers,
          // The wallet sees the client's own loopback address, as behind a transparent proxy.
          localAddress: request.clientAddress,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
}

/** Starts the proxy on a free loopback port; point the wallet's public URL at it. */
export async function startBreakingProxy(): Promise<BreakingProxy> {
  let server: Server | undefined;
  const proxy: BreakingProxy = {
    port: 0,
    target: 0,
    breakage: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server?.closeAllConnections();
        server?.close(() => resolve());
      }),
    [Symbol.asyncDispose]: () => proxy.close(),
  };
  const forward = forwardTo(() => proxy.target);
  server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const request: ProxiedRequest = {
        clientAddress: incoming.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      try {
        const response = await (proxy.breakage ?? ((value, next) => next(value)))(request, forward);
        const headers = { ...response.headers };
        for (const name of HOP_BY_HOP) delete headers[name];
        outgoing.writeHead(response.status, { ...headers, 'content-length': String(response.body.length) });
        outgoing.end(response.body);
      } catch (error) {
        outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  (proxy as { port: number }).port = (server.address() as AddressInfo).port;
  return proxy;
}
