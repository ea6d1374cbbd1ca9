import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateMasterKey, openStore, type Store } from '@allowance/store';
import { type AuthorizationServer, createAuthorizationServer } from '../authorization-server.js';
import type { ServerConfigInput } from '../config.js';
import { createLogger } from '../logger.js';
import type { EndpointThrottlePolicy } from '../oidc/endpoint-throttle.js';

/** A wallet authorization server on a loopback port with a fresh SQLite file, for tests. */
export interface TestWallet extends AsyncDisposable {
  issuer: string;
  gateway: string;
  server: AuthorizationServer;
  store: Store;
  databasePath: string;
  masterKey: Uint8Array;
  /** Every log line written so far. */
  logs: string[];
  close(): Promise<void>;
}

export const PUBLIC_CLIENT = {
  client_id: 'blog-assistant',
  client_name: 'Blog Assistant',
  redirect_uris: ['http://127.0.0.1:5999/callback'],
};
export const CONFIDENTIAL_CLIENT = {
  client_id: 'server-app',
  client_name: 'Server App',
  client_secret: 'server-app-secret-0123456789',
  redirect_uris: ['http://127.0.0.1:5998/callback'],
};
export const DEVICE_CLIENT = {
  client_id: 'cli-assistant',
  client_name: 'CLI Assistant',
  redirect_uris: [],
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] as (
    | 'urn:ietf:params:oauth:grant-type:device_code'
    | 'refresh_token'
  )[],
  application_type: 'native' as const,
};
export const REGISTRATION_TOKEN = 'initial-access-token-for-tests';

/** Starts a wallet; the issuer is the loopback URL it listens on. */
export async function startTestWallet(
  config: Partial<ServerConfigInput> = {},
  options: { endpointThrottle?: EndpointThrottlePolicy } = {},
): Promise<TestWallet> {
  const folder = mkdtempSync(join(tmpdir(), 'allowance-server-'));
  const databasePath = join(folder, 'wallet.sqlite');
  const store = await openStore({ sqlite: databasePath });
  const masterKey = generateMasterKey();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const server = await createAuthorizationServer({
    config: {
      issuer,
      clients: [PUBLIC_CLIENT, CONFIDENTIAL_CLIENT, DEVICE_CLIENT],
      registrationToken: REGISTRATION_TOKEN,
      ...config,
    },
    store,
    masterKey,
    logger: createLogger({ level: 'debug', destination }),
    throttle: { perAccount: 5, perAddress: 1000, windowMs: 60_000 },
    ...options,
  });
  http.on('request', server.callback());
  const close = async () => {
    await server.close();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  };
  return {
    issuer,
    gateway: server.config.gateway,
    server,
    store,
    databasePath,
    masterKey,
    logs,
    close,
    [Symbol.asyncDispose]: close,
  };
}
