import type { ApiFamily } from '@allowance/protocol';

/** A provider as the wallet configured it: where to send a call and with which credential. */
export interface UpstreamTarget {
  /** The wallet's id for the provider (`openai`, `acme-gateway`); used in failure messages only. */
  providerId: string;
  /** The API the provider speaks. */
  api: ApiFamily;
  /**
   * The provider's base URL, as the official SDKs take it: ending in `/v1` for the OpenAI family
   * (`https://api.openai.com/v1`), without it for Anthropic (`https://api.anthropic.com`).
   */
  baseUrl: string;
  /** The user's API key for the provider. Sent only to `baseUrl`'s origin, never logged or echoed. */
  apiKey: string;
  /**
   * The owner chose that this provider is on their private network, so the key may go to a
   * private address (spec SEC-8 rule 2). Off when absent.
   */
  privateNetworkAllowed?: boolean;
}

/** The provider endpoints the gateway forwards to. */
export type UpstreamEndpoint = 'chat.completions' | 'embeddings' | 'messages' | 'messages.count_tokens';

/** One call to forward, already authorized and reserved by the pipeline. */
export interface UpstreamCall {
  endpoint: UpstreamEndpoint;
  target: UpstreamTarget;
  /**
   * The JSON body to send, already rewritten by the pipeline ([GW-16]: resolved model id, output
   * cap, `stream_options.include_usage`, `store`). Sent as is; this module does not read it.
   */
  body: Record<string, unknown>;
  /**
   * Whether this is a streaming call: `true` for {@link Upstream.stream}, `false` for
   * {@link Upstream.call}. The body's own `stream` member is the pipeline's to set.
   */
  stream: boolean;
  /**
   * Whether the app asked for usage in an OpenAI stream (`stream_options.include_usage`). When it
   * did not, the usage-only chunk the gateway asked for is kept from it ([GW-19]). Ignored
   * otherwise: Anthropic streams always carry usage, and JSON answers are relayed whole.
   */
  appWantsUsage: boolean;
  /**
   * Headers to pass through to the provider, such as `anthropic-version` and `anthropic-beta`.
   * Credentials, cookies, `Allowance-*`, hop-by-hop and body-framing headers are dropped
   * whatever the caller puts here ([GW-17]).
   */
  headers?: Record<string, string>;
  /** Aborted when the app goes away; the upstream request is then aborted too ([MTR-22]). */
  signal: AbortSignal;
}
