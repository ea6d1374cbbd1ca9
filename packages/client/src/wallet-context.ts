import type * as oauth from 'oauth4webapi';

/** Everything a flow or a connection needs to talk to one wallet as one client; built by discovery. */
export interface WalletContext {
  readonly issuer: string;
  readonly gateway: string;
  /** The wallet currency; every budget is in it. */
  readonly currency: string;
  readonly metadata: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuthentication: oauth.ClientAuth;
  readonly redirectUri: string | undefined;
  /** The `fetch` every request goes through. */
  readonly fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Whether the gateway is plain `http` on loopback (spec [META-1]). */
  readonly gatewayInsecure: boolean;
  /** The options every oauth4webapi request to the wallet gets: the injected fetch, and `http` on loopback. */
  readonly http: {
    [oauth.customFetch]: typeof fetch;
    [oauth.allowInsecureRequests]: boolean;
  };
}
