/**
 * The wallet's authorization server: OAuth 2.1 on oidc-provider and Koa, sign-in, consent with
 * narrowing, grants, and the provider-key vault.
 */
export {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
} from './authorization-server.js';
export {
  resolveServerConfig,
  type ServerConfig,
  type ServerConfigInput,
  type StaticClient,
} from './config.js';
export { loadSigningKeys, rotateSigningKey } from './keys/signing-keys.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export { KNOWN_PROVIDERS } from './vault/provider-credentials.js';
