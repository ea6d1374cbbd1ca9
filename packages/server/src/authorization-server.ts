import { hkdfSync } from 'node:crypto';
import type { Server } from 'node:http';
import { createSealer, rewriteLegacyOidcModels, type Store } from '@allowance/store';
import type { JWK } from 'jose';
import Koa, { type Context, type Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { LoginThrottle, type ThrottlePolicy } from './accounts/login-throttle.js';
import { resolveServerConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { dashboardRouters } from './dashboard/dashboard-routes.js';
import { DASHBOARD_CSS } from './dashboard/dashboard-styles.js';
import { homeRoutes } from './home/home-routes.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import { sessionCookies } from './interactions/sign-in.js';
import { loadSigningKeys } from './keys/signing-keys.js';
import { createLogger } from './logger.js';
import { type EndpointThrottlePolicy, endpointThrottle } from './oidc/endpoint-throttle.js';
import { purgeExpired } from './oidc/kysely-adapter.js';
import { oidcRecordSealing, sealLegacyRow } from './oidc/oidc-record-sealing.js';
import { createProvider } from './oidc/provider.js';
import { insideProvider, providerContextStorage } from './oidc/provider-context.js';
import { type OperatorInterface, startOperatorInterface } from './operator/operator-interface.js';
import { FormError } from './pages/form-body.js';
import { WALLET_CSS } from './pages/layout.js';
import { securityHeaders } from './pages/security-headers.js';

/** What the authorization server is built from. */
export interface AuthorizationServerOptions {
  config: ServerConfigInput;
  store: Store;
  /** The wallet's 32-byte master key (see `loadMasterKey`). */
  masterKey: Uint8Array;
  logger?: Logger;
  /** Failed sign-ins tolerated per account and per address. */
  throttle?: ThrottlePolicy;
  /** Failed requests to the token and other OAuth endpoints tolerated per address. */
  endpointThrottle?: EndpointThrottlePolicy;
  now?: () => number;
  /**
   * Where the test-mode operator interface (`config.operatorInterface`) remembers which account
   * is the test user, so a restarted wallet still knows it. Default: in memory only.
   */
  operatorStateFile?: string;
}

/** A running-ready authorization server: a Koa app with oidc-provider inside. */
export interface AuthorizationServer extends AsyncDisposable {
  readonly config: ServerConfig;
  readonly app: Koa;
  readonly provider: Provider;
  /** The public signing keys, as published at /jwks: a gateway in the same process verifies with these. */
  readonly publicKeys: { keys: JWK[] };
  /** The test-mode operator interface, when `config.operatorInterface` enables it. */
  readonly operatorInterface?: { readonly url: string };
  /** Serves requests the gateway does not: mount it as the fallback of a combined server. */
  callback(): ReturnType<Koa['callback']>;
  listen(port: number, host?: string): Promise<Server>;
  close(): Promise<void>;
}

const derive = (masterKey: Uint8Array, purpose: string) =>
  Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `allowance ${purpose}`, 32));

/**
 * Builds the wallet's OAuth 2.1 authorization server: oidc-provider for the protocol endpoints,
 * and the wallet's own pages (sign-in, consent, provider keys) around it, on one Koa app.
 *
 * @example
 * const server = await createAuthorizationServer({ config: { issuer }, store, masterKey });
 * await server.listen(8080);
 */
export async function createAuthorizationServer(
  options: AuthorizationServerOptions,
): Promise<AuthorizationServer> {
  const config = resolveServerConfig(options.config);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger();
  const { store } = options;
  const sealer = createSealer(options.masterKey);
  // Cookie and pairwise secrets come from the master key, so they survive restarts and need no
  // storage of their own; rotating the master key rotates them.
  const cookieKeys = config.cookieKeys ?? [derive(options.masterKey, 'cookie signing').toString('base64url')];
  // Spec SEC-14: oidc-provider's records are found by keyed hashes and sealed. Rows an older
  // release stored in clear are rewritten here, before the first request, since the migration
  // that moved them aside runs without the master key.
  const records = oidcRecordSealing(options.masterKey);
  const legacy = await rewriteLegacyOidcModels(store, (row) =>
    sealLegacyRow(records, row, Math.floor(now() / 1000)),
  );
  if (legacy) logger.info(legacy, 'sealed the oidc-provider records an older release kept in clear');
  const signingKeys = await loadSigningKeys(store, sealer, {
    now: now(),
    tokenLifetimeSeconds: config.accessTokenSeconds,
  });
  const provider = createProvider(config, {
    store,
    records,
    signingKeys,
    cookieKeys,
    pairwiseSecret: derive(options.masterKey, 'pairwise subject'),
    dpopNonceSecret: derive(options.masterKey, 'dpop nonces'),
    onError: (event, detail) => logger.warn({ event, ...detail }, 'authorization server refused a request'),
  });

  const throttle = new LoginThrottle(options.throttle, now);
  const sessions = sessionCookies(store, config, now);
  const pageDependencies = { store, sealer, config, throttle, sessions, provider, now };
  // Test mode only (spec 8.2): nothing listens, and no staged approval is consulted, without it.
  const operator: OperatorInterface | undefined = config.operatorInterface
    ? await startOperatorInterface(
        { ...config.operatorInterface, stateFile: options.operatorStateFile, logger },
        pageDependencies,
      )
    : undefined;
  const app = new Koa({ keys: cookieKeys, proxy: config.trustProxy });
  app.use(errorPages(logger));
  app.use(securityHeaders);
  app.use(async (context, next) => {
    if (context.path !== '/assets/wallet.css') return next();
    context.type = 'text/css';
    context.set('Cache-Control', 'public, max-age=3600');
    context.body = WALLET_CSS + DASHBOARD_CSS;
  });
  for (const router of [
    interactionRoutes({
      provider,
      store,
      config,
      throttle,
      sessions,
      now,
      ...(operator && {
        nextApproval: (accountId, clientId, form) => operator.nextApprovals.apply(accountId, clientId, form),
      }),
    }),
    homeRoutes(pageDependencies),
    ...dashboardRouters(pageDependencies),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(endpointThrottle(provider, options.endpointThrottle, now));
  const providerCallback = provider.callback();
  const inside = insideProvider(await providerContextStorage());
  app.use(async (context) => {
    context.respond = false;
    await inside(() => providerCallback(context.req, context.res));
  });

  const sweeper = setInterval(() => {
    purgeExpired(store).catch((error: unknown) =>
      logger.warn({ error: String(error) }, 'could not purge expired rows'),
    );
  }, 60_000);
  sweeper.unref();

  const servers: Server[] = [];
  const close = async () => {
    clearInterval(sweeper);
    await operator?.close();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  };
  const publicKeys = {
    keys: signingKeys.map(
      ({ kty, crv, x, y, n, e, kid, alg, use }) => ({ kty, crv, x, y, n, e, kid, alg, use }) as JWK,
    ),
  };
  return {
    config,
    app,
    provider,
    publicKeys,
    ...(operator && { operatorInterface: { url: operator.url } }),
    callback: () => app.callback(),
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        const server = app.listen(port, host, () => resolve(server));
        server.once('error', reject);
        servers.push(server);
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Turns a failure on the wallet's own pages into a plain page with the right status, never a stack. */
function errorPages(logger: Logger) {
  return async (context: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof FormError) {
        context.status = error.status;
        context.body = error.message;
        return;
      }
      const status = (error as { status?: number; statusCode?: number }).status ?? 500;
      if (status >= 500) logger.error({ error: String(error), path: context.path }, 'page failed');
      context.status = status;
      context.type = 'text/plain';
      context.body =
        status >= 500
          ? 'Something went wrong in the wallet. Nothing was approved. Try again, and check the wallet log if it repeats.'
          : (error as Error).message;
    }
  };
}
