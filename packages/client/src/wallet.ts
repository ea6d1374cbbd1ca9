import type { AllowanceMetadata } from '@allowance/protocol';
import type * as oauth from 'oauth4webapi';
import type { Connection, ConnectionOptions } from './connection.js';
import { LiveConnection } from './connection.js';
import {
  type DeviceAuthorization,
  type DeviceAuthorizationOptions,
  startDeviceAuthorization,
} from './device-authorization.js';
import {
  type AuthorizationOptions,
  type AuthorizationStart,
  finishAuthorization,
  type PendingAuthorization,
  startAuthorization,
} from './redirect-authorization.js';
import { restoreState, type SavedConnection } from './saved-connection.js';
import type { WalletContext } from './wallet-context.js';

/**
 * A user's wallet, discovered, as seen by one app (client). Start a redirect or device flow to
 * get a {@link Connection}, or restore a saved one.
 *
 * @example
 * const wallet = await discoverWallet('http://localhost:8080', {
 *   clientId: 'blog-assistant',
 *   redirectUri: 'http://127.0.0.1:5999/callback',
 * });
 * const { url, pending } = await wallet.startAuthorization({
 *   allowance: allowance().providers('openai').models('gpt-4.1-mini').budget('5.00', 'month'),
 * });
 * // send the browser to `url`, keep `pending` in the session; then, at the callback:
 * const connection = await wallet.finishAuthorization(callbackUrl, pending, {
 *   onRotate: (saved) => save(saved),
 * });
 */
export interface Wallet {
  /** The issuer identifier, exactly as in the metadata. */
  readonly issuer: string;
  /** The gateway base URL `G`, the token audience. */
  readonly gateway: string;
  /** The wallet currency; budgets must be in it. */
  readonly currency: string;
  /** The metadata's `allowance` member: providers, periods, time zone, longest grant. */
  readonly allowance: AllowanceMetadata;
  /** The whole RFC 8414 metadata document. */
  readonly metadata: oauth.AuthorizationServer;
  /** Starts the redirect flow; send the user to `url` and keep `pending` until the callback. */
  startAuthorization(options: AuthorizationOptions): Promise<AuthorizationStart>;
  /** Completes the redirect flow with the callback URL the wallet sent the user back to. */
  finishAuthorization(
    callback: URL | string,
    pending: PendingAuthorization,
    options?: ConnectionOptions,
  ): Promise<Connection>;
  /** Starts the device flow (RFC 8628) for a CLI or a device without a browser. */
  startDeviceAuthorization(options: DeviceAuthorizationOptions): Promise<DeviceAuthorization>;
  /** Brings back a connection saved with `connection.toJSON()` (or given to `onRotate`). */
  restoreConnection(saved: SavedConnection, options?: ConnectionOptions): Connection;
}

/** The {@link Wallet} behind `discoverWallet`. */
export class DiscoveredWallet implements Wallet {
  readonly #context: WalletContext;
  readonly allowance: AllowanceMetadata;

  constructor(context: WalletContext, allowance: AllowanceMetadata) {
    this.#context = context;
    this.allowance = allowance;
  }

  get issuer(): string {
    return this.#context.issuer;
  }

  get gateway(): string {
    return this.#context.gateway;
  }

  get currency(): string {
    return this.#context.currency;
  }

  get metadata(): oauth.AuthorizationServer {
    return this.#context.metadata;
  }

  startAuthorization(options: AuthorizationOptions): Promise<AuthorizationStart> {
    return startAuthorization(this.#context, options);
  }

  finishAuthorization(
    callback: URL | string,
    pending: PendingAuthorization,
    options?: ConnectionOptions,
  ): Promise<Connection> {
    return finishAuthorization(this.#context, callback, pending, options);
  }

  startDeviceAuthorization(options: DeviceAuthorizationOptions): Promise<DeviceAuthorization> {
    return startDeviceAuthorization(this.#context, options);
  }

  restoreConnection(saved: SavedConnection, options?: ConnectionOptions): Connection {
    const { state, dpopKey } = restoreState(saved, {
      issuer: this.#context.issuer,
      clientId: this.#context.client.client_id,
    });
    return new LiveConnection(this.#context, state, dpopKey, options);
  }
}
