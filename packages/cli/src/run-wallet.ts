import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createGateway, type Gateway } from '@allowance/gateway';
import { type AnomalyPolicy, DEFAULT_ANOMALY_POLICY } from '@allowance/protocol';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  createLogger,
  type ServerConfigInput,
} from '@allowance/server';
import { loadMasterKey, openStore, type Store } from '@allowance/store';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { WalletOptions } from './wallet-options.js';

/** A running wallet: what `allowance serve` and `allowance gateway` start. */
export interface RunningWallet extends AsyncDisposable {
  url: string;
  issuer: string;
  gateway: string;
  dataDirectory: string;
  server: Server;
  /** The test-mode operator interface's URL, when `operatorInterface` enables it. */
  operatorUrl?: string;
  close(): Promise<void>;
}

const logger = () => createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });

/** The gateway's anomaly defaults as its options give them, for the dashboard to show (spec SEC-4). */
function anomalyDefaults(gatewayOptions: Record<string, unknown> | undefined): AnomalyPolicy {
  const number = (name: string, fallback: number) =>
    typeof gatewayOptions?.[name] === 'number' ? (gatewayOptions[name] as number) : fallback;
  return {
    burstCalls: number('anomalyBurstCalls', DEFAULT_ANOMALY_POLICY.burstCalls),
    burstWindowSeconds: number('anomalyBurstWindowSeconds', DEFAULT_ANOMALY_POLICY.burstWindowSeconds),
    spendMicros: number('anomalySpendMicros', DEFAULT_ANOMALY_POLICY.spendMicros),
    spendWindowSeconds: number('anomalySpendWindowSeconds', DEFAULT_ANOMALY_POLICY.spendWindowSeconds),
  };
}

/**
 * `allowance serve`: the authorization server and the gateway in one process on one port,
 * state in `<data>/allowance.sqlite`. The gateway verifies tokens with the server's own keys.
 */
export async function serveWallet(options: WalletOptions): Promise<RunningWallet> {
  const dataDirectory = resolve(options.dataDirectory);
  const store = await openStore({ sqlite: join(dataDirectory, 'allowance.sqlite') });
  const { key: masterKey } = loadMasterKey(dataDirectory);
  const log = logger();
  const serverConfig: ServerConfigInput = {
    issuer: options.issuer,
    gateway: options.gateway,
    ...(options.currency && { currency: options.currency }),
    ...(options.timeZone && { timeZone: options.timeZone }),
    ...(options.registrationToken && { registrationToken: options.registrationToken }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
    ...(options.requireDpopForPublicClients !== undefined && {
      requireDpopForPublicClients: options.requireDpopForPublicClients,
    }),
    ...(options.requireDpopNonce !== undefined && { requireDpopNonce: options.requireDpopNonce }),
    ...(options.clients && { clients: options.clients as ServerConfigInput['clients'] }),
    anomalyPolicy: anomalyDefaults(options.gatewayOptions),
    // The metadata advertises the deadline the gateway applies (spec MTR-26).
    ...(typeof options.gatewayOptions?.reservationDeadlineSeconds === 'number' && {
      reservationDeadlineSeconds: options.gatewayOptions.reservationDeadlineSeconds,
    }),
    ...(options.operatorInterface && { operatorInterface: options.operatorInterface }),
  };
  let authorizationServer: AuthorizationServer | undefined;
  let gateway: Gateway | undefined;
  try {
    authorizationServer = await createAuthorizationServer({
      config: serverConfig,
      store,
      masterKey,
      logger: log,
      operatorStateFile: join(dataDirectory, 'operator-test-user.json'),
      ...(options.endpointThrottle && {
        endpointThrottle: {
          failuresPerAddress: options.endpointThrottle.failuresPerAddress,
          windowMs: options.endpointThrottle.windowSeconds * 1000,
        },
      }),
    });
    gateway = await createGateway({
      config: { ...options.gatewayOptions, resource: options.gateway, issuer: options.issuer },
      store,
      masterKey,
      logger: log,
      keys: createLocalJWKSet(authorizationServer.publicKeys as JSONWebKeySet),
    });
  } catch (error) {
    await authorizationServer?.close();
    await store.close();
    throw error;
  }
  const serverCallback = authorizationServer.callback();
  const activeGateway = gateway;
  const server = createServer((request, response) => {
    if (!activeGateway.handle(request, response)) serverCallback(request, response);
  });
  const operatorUrl = authorizationServer.operatorInterface?.url;
  const running = await listen(server, options, dataDirectory, async () => {
    await activeGateway.close();
    await authorizationServer?.close();
    await store.close();
  });
  return operatorUrl ? { ...running, operatorUrl } : running;
}

/**
 * `allowance gateway`: a gateway replica against the same database, verifying tokens with the
 * issuer's published JWKS.
 */
export async function serveGateway(options: WalletOptions): Promise<RunningWallet> {
  const dataDirectory = resolve(options.dataDirectory);
  const store: Store = await openStore({ sqlite: join(dataDirectory, 'allowance.sqlite') });
  const { key: masterKey } = loadMasterKey(dataDirectory);
  const gateway = await createGateway({
    // The same gateway options as `allowance serve`, so a replica enforces the same rules.
    config: { ...options.gatewayOptions, resource: options.gateway, issuer: options.issuer },
    store,
    masterKey,
    logger: logger(),
  });
  const server = createServer((request, response) => {
    if (!gateway.handle(request, response)) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            message: 'This process serves only the gateway.',
            type: 'not_found_error',
            code: 'not_found',
            param: null,
          },
        }),
      );
    }
  });
  return listen(server, options, dataDirectory, async () => {
    await gateway.close();
    await store.close();
  });
}

function listen(
  server: Server,
  options: WalletOptions,
  dataDirectory: string,
  release: () => Promise<void>,
): Promise<RunningWallet> {
  return new Promise((resolveWallet, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      release().finally(() =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `Port ${options.port} is in use. Stop what uses it, or start with PORT=<another port>.`,
              )
            : error,
        ),
      );
    });
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      const close = async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await release();
      };
      resolveWallet({
        url: `http://${options.host}:${port}`,
        issuer: options.issuer,
        gateway: options.gateway,
        dataDirectory,
        server,
        close,
        [Symbol.asyncDispose]: close,
      });
    });
  });
}
