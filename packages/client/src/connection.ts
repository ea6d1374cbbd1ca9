import { type AllowanceStatus, type ApprovedAiAllowance, allowanceStatusSchema } from '@allowance/protocol';
import * as oauth from 'oauth4webapi';
import { AllowanceError } from './allowance-error.js';
import { ReauthorizationRequiredError, throwAsAllowanceError } from './authorization-errors.js';
import {
  type ConfirmationDecision,
  type ConfirmationStatus,
  rememberConfirmationSource,
  type WaitForDecisionOptions,
  waitForDecision,
} from './confirmation-decision.js';
import { type DpopKeyPair, importDpopKey } from './dpop-key.js';
import { withDpopNonceRetry } from './dpop-nonce-retry.js';
import { type Confirmation, GrantRevokedError } from './gateway-errors.js';
import { createGatewayFetch } from './gateway-fetch.js';
import { type SavedConnection, saveConnection } from './saved-connection.js';
import { toAllowanceError } from './to-allowance-error.js';
import { type TokenState, tokenStateFrom } from './token-state.js';
import type { WalletContext } from './wallet-context.js';

/** What to spread into `new OpenAI({...})` or `new Anthropic({...})`. */
export interface SdkOptions {
  /** A placeholder: the connection's `fetch` replaces it with the current access token. */
  apiKey: string;
  /** `G + "/v1"` for OpenAI, `G` for Anthropic (spec 05-gateway §5.1). */
  baseURL: string;
  /** Authenticates every request with the current token (and a DPoP proof when bound). */
  fetch: typeof fetch;
}

/** Options of a connection, given where one is created or restored. */
export interface ConnectionOptions {
  /**
   * Called every time the refresh token rotates (spec [TOK-1]), with the connection as JSON:
   * persist it, since the refresh token stored before no longer works, and presenting it again
   * would make the wallet revoke the grant ([TOK-2]). A rejection fails the call that refreshed.
   */
  onRotate?: (saved: SavedConnection) => void | Promise<void>;
}

/**
 * A live connection to the user's wallet: an approved allowance and tokens that renew
 * themselves. Access tokens are refreshed when they expire within 30 seconds, one refresh at a
 * time (spec §2.11.2), and refresh tokens rotate.
 *
 * @example
 * const openai = new OpenAI({ ...connection.openai() });
 * const anthropic = new Anthropic({ ...connection.anthropic() });
 * const reply = await openai.chat.completions.create({
 *   model: 'gpt-4.1-mini',
 *   messages: [{ role: 'user', content: 'Suggest a title.' }],
 * });
 * const status = await connection.status();
 * console.log(`${status.budget[0]?.remaining} ${status.currency} left this ${status.budget[0]?.period}`);
 */
export interface Connection {
  /** The wallet's id of the grant, stable across refreshes (spec [TOK-12]). */
  readonly grantId: string;
  /** What the user approved, as of the last token response. */
  readonly allowance: ApprovedAiAllowance;
  /** Whether the tokens are bound to this connection's DPoP key. */
  readonly dpopBound: boolean;
  /** A current access token, refreshed first when it expires within 30 seconds. */
  accessToken(): Promise<string>;
  /** Options for the official OpenAI SDK: `new OpenAI({ ...connection.openai() })`. */
  openai(): SdkOptions;
  /** Options for the official Anthropic SDK: `new Anthropic({ ...connection.anthropic() })`. */
  anthropic(): SdkOptions;
  /** `GET /v1/allowance`: what is left of the allowance (spec 05-gateway §5.12). */
  status(): Promise<AllowanceStatus>;
  /**
   * `GET /v1/confirmations/{id}`: where a confirmation this grant was asked for stands (spec
   * 06-metering §6.10). Unknown ids, and other grants' confirmations, are 404 `not_found`.
   */
  confirmationStatus(id: string): Promise<ConfirmationStatus>;
  /**
   * Waits for the user's decision on a confirmation, polling {@link Connection.confirmationStatus}
   * (what `ConfirmationRequiredError.waitForDecision` does).
   */
  waitForConfirmation(
    confirmation: Confirmation | string,
    options?: WaitForDecisionOptions,
  ): Promise<ConfirmationDecision>;
  /**
   * Disconnects: revokes the refresh token (RFC 7009), which ends the whole grant at once (spec
   * [REV-2]). Calls with this connection are refused from then on with `grant_revoked`.
   */
  revoke(): Promise<void>;
  /** The connection as JSON, to store and later restore with `wallet.restoreConnection`. */
  toJSON(): SavedConnection;
}

// Refresh this long before the access token expires, so a call never leaves with a dying token.
const REFRESH_MARGIN_MILLISECONDS = 30_000;
const PLACEHOLDER_API_KEY = 'allowance-connection';
const CONFIRMATION_STATUSES = new Set<ConfirmationStatus>([
  'pending',
  'approved',
  'denied',
  'used',
  'expired',
]);

/** The connection behind the {@link Connection} interface. */
export class LiveConnection implements Connection {
  readonly #context: WalletContext;
  readonly #options: ConnectionOptions;
  readonly #dpopKey: DpopKeyPair | undefined;
  readonly #fetch: typeof fetch;
  #state: TokenState;
  #dpop: Promise<oauth.DPoPHandle> | undefined;
  #refreshing: Promise<void> | undefined;
  /** Set once the wallet refused the refresh token, or the app revoked the grant. */
  #ended: AllowanceError | undefined;
  #revoked = false;

  constructor(
    context: WalletContext,
    state: TokenState,
    dpopKey: DpopKeyPair | undefined,
    options: ConnectionOptions = {},
  ) {
    this.#context = context;
    this.#state = state;
    this.#dpopKey = dpopKey;
    this.#options = options;
    this.#fetch = createGatewayFetch({
      gateway: context.gateway,
      fetch: context.fetch,
      insecure: context.gatewayInsecure,
      credentials: async () => {
        const current = await this.#fresh();
        return {
          accessToken: current.accessToken,
          dpop: current.tokenType === 'dpop' ? await this.#dpopHandle() : undefined,
        };
      },
      renew: async (rejected) => {
        if (this.#state.accessToken === rejected) await this.#refresh();
      },
      onConfirmation: (confirmation) => rememberConfirmationSource(confirmation, this, context.now()),
    });
  }

  get grantId(): string {
    return this.#state.grantId;
  }

  get allowance(): ApprovedAiAllowance {
    return this.#state.allowance;
  }

  get dpopBound(): boolean {
    return this.#state.tokenType === 'dpop';
  }

  async accessToken(): Promise<string> {
    return (await this.#fresh()).accessToken;
  }

  openai(): SdkOptions {
    return { apiKey: PLACEHOLDER_API_KEY, baseURL: `${this.#context.gateway}/v1`, fetch: this.#fetch };
  }

  anthropic(): SdkOptions {
    return { apiKey: PLACEHOLDER_API_KEY, baseURL: this.#context.gateway, fetch: this.#fetch };
  }

  async status(): Promise<AllowanceStatus> {
    const response = await this.#fetch(`${this.#context.gateway}/v1/allowance`, {
      headers: { accept: 'application/json' },
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      throw (
        toAllowanceError({ status: response.status, headers: response.headers, error: body }) ??
        new AllowanceError('unexpected_response', `The gateway answered ${response.status}.`, {
          status: response.status,
        })
      );
    }
    const parsed = allowanceStatusSchema.safeParse(body);
    if (!parsed.success) {
      throw new AllowanceError(
        'unexpected_response',
        `The allowance endpoint answered: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }

  async confirmationStatus(id: string): Promise<ConfirmationStatus> {
    const response = await this.#fetch(
      `${this.#context.gateway}/v1/confirmations/${encodeURIComponent(id)}`,
      { headers: { accept: 'application/json' } },
    );
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      throw (
        toAllowanceError({ status: response.status, headers: response.headers, error: body }) ??
        new AllowanceError('unexpected_response', `The gateway answered ${response.status}.`, {
          status: response.status,
        })
      );
    }
    const status = (body as { status?: unknown } | undefined)?.status;
    if (!CONFIRMATION_STATUSES.has(status as ConfirmationStatus)) {
      throw new AllowanceError(
        'unexpected_response',
        `The confirmation endpoint answered an unknown status ${JSON.stringify(status)}.`,
      );
    }
    return status as ConfirmationStatus;
  }

  waitForConfirmation(
    confirmation: Confirmation | string,
    options: WaitForDecisionOptions = {},
  ): Promise<ConfirmationDecision> {
    return waitForDecision(this, typeof confirmation === 'string' ? confirmation : confirmation.id, options);
  }

  async revoke(): Promise<void> {
    await this.#refreshing?.catch(() => undefined);
    const { refreshToken, accessToken } = this.#state;
    const { metadata, client, clientAuthentication, http } = this.#context;
    try {
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(metadata, client, clientAuthentication, refreshToken ?? accessToken, {
          ...http,
          additionalParameters: { token_type_hint: refreshToken ? 'refresh_token' : 'access_token' },
        }),
      );
    } catch (error) {
      throwAsAllowanceError(error);
    }
    this.#revoked = true;
  }

  toJSON(): SavedConnection {
    return saveConnection(
      { issuer: this.#context.issuer, clientId: this.#context.client.client_id },
      this.#state,
      this.#dpopKey,
    );
  }

  #dpopHandle(): Promise<oauth.DPoPHandle> {
    const key = this.#dpopKey;
    if (!key) throw new AllowanceError('invalid_saved_connection', 'This connection has no DPoP key.');
    this.#dpop ??= importDpopKey(key).then((keys) => oauth.DPoP(this.#context.client, keys));
    return this.#dpop;
  }

  async #fresh(): Promise<TokenState> {
    if (this.#ended) throw this.#ended;
    if (this.#state.expiresAt - this.#context.now() <= REFRESH_MARGIN_MILLISECONDS) await this.#refresh();
    return this.#state;
  }

  /** One refresh at a time: two with the same refresh token look exactly like a replay ([TOK-2]). */
  #refresh(): Promise<void> {
    this.#refreshing ??= this.#performRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  #end(error: AllowanceError): AllowanceError {
    this.#ended = error;
    return error;
  }

  async #performRefresh(): Promise<void> {
    if (this.#ended) throw this.#ended;
    if (this.#revoked) throw this.#end(new GrantRevokedError('This connection was revoked by the app.'));
    const previous = this.#state;
    const refreshToken = previous.refreshToken;
    if (refreshToken === undefined) {
      throw this.#end(
        new ReauthorizationRequiredError('The access token expired and the wallet issued no refresh token.', {
          code: 'no_refresh_token',
        }),
      );
    }
    const { metadata, client, clientAuthentication, http } = this.#context;
    const dpop = this.#dpopKey ? await this.#dpopHandle() : undefined;
    let response: oauth.TokenEndpointResponse;
    try {
      response = await withDpopNonceRetry(async () =>
        oauth.processRefreshTokenResponse(
          metadata,
          client,
          await oauth.refreshTokenGrantRequest(metadata, client, clientAuthentication, refreshToken, {
            ...http,
            DPoP: dpop,
          }),
        ),
      );
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') {
        throw this.#end(
          new ReauthorizationRequiredError(undefined, {
            status: error.status,
            cause: error,
          }),
        );
      }
      throwAsAllowanceError(error);
    }
    this.#state = tokenStateFrom(response, this.#context.now(), previous);
    if (this.#state.refreshToken !== refreshToken) await this.#options.onRotate?.(this.toJSON());
  }
}
