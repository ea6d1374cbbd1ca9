import { authorizationServerMetadataSchema } from '@allowance/protocol';
import * as oauth from 'oauth4webapi';
import { AllowanceError } from './allowance-error.js';
import { throwAsAllowanceError } from './authorization-errors.js';
import { isAllowedWalletUrl, isLoopbackHttp } from './loopback.js';
import { DiscoveredWallet, type Wallet } from './wallet.js';

/** The app, as registered with the wallet. */
export interface ClientRegistration {
  clientId: string;
  /** Only for a confidential (server-side) client; sent with HTTP Basic authentication. */
  clientSecret?: string;
  /** The redirect URI registered for the app; needed by the redirect flow, not the device flow. */
  redirectUri?: string;
}

/** What varies around discovery: transport security, the network and the clock. */
export interface DiscoveryOptions {
  /**
   * Accept plain `http` for a wallet (and gateway) on a loopback host (`127.0.0.1`, `[::1]`,
   * `localhost`), where a wallet runs as a local agent (spec [META-1]). Any other host always
   * needs `https`. Default `false`.
   */
  allowInsecure?: boolean;
  /** The `fetch` every request to the wallet and the gateway goes through. Default: the global one. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch, for token expiry. Default: `Date.now`. */
  now?: () => number;
}

// The endpoints this package sends tokens, codes or secrets to.
const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'pushed_authorization_request_endpoint',
  'device_authorization_endpoint',
  'revocation_endpoint',
] as const;

function invalidMetadata(message: string): AllowanceError {
  return new AllowanceError('invalid_wallet_metadata', message);
}

function insecure(what: string, url: URL): AllowanceError {
  const hint = isLoopbackHttp(url) ? '; pass allowInsecure: true for a wallet on this machine' : '';
  return new AllowanceError('insecure_wallet_url', `The ${what} ${url.href} does not use https${hint}.`);
}

/**
 * Reads a wallet's RFC 8414 metadata and its `allowance` member (spec §2.2): where the gateway
 * is, which currency budgets are in, which providers exist. The issuer and the gateway must use
 * `https`, or `http` on a loopback host with `allowInsecure` (spec [META-1]).
 *
 * @example
 * const wallet = await discoverWallet('https://wallet.example', {
 *   clientId: 'quill',
 *   redirectUri: 'https://quill.example/oauth/callback',
 * });
 * console.log(wallet.gateway, wallet.currency); // https://wallet.example/gateway USD
 */
export async function discoverWallet(
  issuer: string | URL,
  registration: ClientRegistration,
  options: DiscoveryOptions = {},
): Promise<Wallet> {
  const issuerUrl = new URL(issuer);
  const allowInsecure = options.allowInsecure === true;
  if (!isAllowedWalletUrl(issuerUrl, allowInsecure)) throw insecure('wallet', issuerUrl);
  const fetchFunction = options.fetch ?? globalThis.fetch.bind(globalThis);
  let metadata: oauth.AuthorizationServer;
  try {
    metadata = await oauth.processDiscoveryResponse(
      issuerUrl,
      await oauth.discoveryRequest(issuerUrl, {
        algorithm: 'oauth2',
        [oauth.customFetch]: fetchFunction,
        [oauth.allowInsecureRequests]: allowInsecure,
      }),
    );
  } catch (error) {
    throwAsAllowanceError(error);
  }
  const checked = authorizationServerMetadataSchema.safeParse(metadata);
  if (!checked.success) {
    throw invalidMetadata(
      `${metadata.issuer} is not an Allowance wallet: ${checked.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  const { allowance } = checked.data;
  const gatewayUrl = new URL(allowance.gateway);
  if (!isAllowedWalletUrl(gatewayUrl, allowInsecure)) throw insecure('gateway', gatewayUrl);
  for (const endpoint of ENDPOINTS) {
    const value = metadata[endpoint];
    if (typeof value === 'string' && !isAllowedWalletUrl(new URL(value), allowInsecure)) {
      throw insecure(endpoint, new URL(value));
    }
  }
  const client: oauth.Client = {
    client_id: registration.clientId,
    ...(registration.clientSecret === undefined && { token_endpoint_auth_method: 'none' }),
  };
  return new DiscoveredWallet(
    {
      issuer: metadata.issuer,
      gateway: allowance.gateway,
      currency: allowance.currency,
      metadata,
      client,
      clientAuthentication:
        registration.clientSecret === undefined
          ? oauth.None()
          : oauth.ClientSecretBasic(registration.clientSecret),
      redirectUri: registration.redirectUri,
      fetch: fetchFunction,
      now: options.now ?? Date.now,
      http: {
        [oauth.customFetch]: fetchFunction,
        [oauth.allowInsecureRequests]: allowInsecure,
      },
      gatewayInsecure: allowInsecure,
    },
    allowance,
  );
}
