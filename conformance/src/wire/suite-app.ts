import { createHash, randomBytes } from 'node:crypto';
import type { Approval, ConsentDriver, DriverOutcome } from '../driver/consent-driver.js';
import { CheckFailure } from '../runner/check-failure.js';
import { DpopKey } from './dpop-key.js';
import { type HttpResponse, member, send } from './http.js';

/** A client the suite acts as. */
export interface SuiteClient {
  readonly client_id: string;
  readonly redirect_uri: string;
  readonly client_secret?: string | undefined;
}

/** What the suite knows about the wallet after discovery. */
export interface WalletInfo {
  readonly issuer: string;
  readonly gateway: string;
  readonly metadata: Record<string, unknown>;
}

/** Tokens of one connection, as the app holds them. */
export interface Connection {
  readonly client: SuiteClient;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly grantId: string;
  readonly claims: Record<string, unknown>;
  readonly tokenResponse: Record<string, unknown>;
  readonly dpopKey?: DpopKey | undefined;
}

/** Parameters of one authorization, with overrides for negatives (`null` removes a parameter). */
export interface AuthorizationOptions {
  details?: unknown;
  overrides?: Record<string, string | string[] | null>;
  state?: string;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** PKCE S256 (RFC 7636 §4.2). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
}

/** Decodes a JWS's JSON header and payload without verifying it. */
export function decodeJws(token: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  const [header = '', claims = ''] = token.split('.');
  const decode = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  try {
    return { header: decode(header), claims: decode(claims) };
  } catch {
    throw new CheckFailure('the access token is not a JWS with JSON header and payload');
  }
}

/**
 * The suite's app: the client side of every flow, written against the raw HTTP so that each
 * negative can change exactly one thing.
 */
export class SuiteApp {
  constructor(
    readonly wallet: WalletInfo,
    readonly driver: ConsentDriver,
  ) {}

  endpoint(name: string): string {
    const value = this.wallet.metadata[name];
    if (typeof value !== 'string') throw new CheckFailure(`the metadata has no ${name}`);
    return value;
  }

  /** Authorization request parameters (§2.4) with a fresh PKCE pair and state. */
  parameters(
    client: SuiteClient,
    options: AuthorizationOptions = {},
  ): {
    parameters: URLSearchParams;
    verifier: string;
    state: string;
  } {
    const { verifier, challenge } = pkcePair();
    const state = options.state ?? base64url(randomBytes(12));
    const values: Record<string, string | string[] | null> = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: client.redirect_uri,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: this.wallet.gateway,
      authorization_details: JSON.stringify([options.details ?? defaultDetails()]),
      ...options.overrides,
    };
    const parameters = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) {
      if (value === null) continue;
      for (const item of Array.isArray(value) ? value : [value]) parameters.append(name, item);
    }
    return { parameters, verifier, state };
  }

  authorizationUrl(parameters: URLSearchParams): string {
    return `${this.endpoint('authorization_endpoint')}?${parameters}`;
  }

  /** Pushes an authorization request (RFC 9126). */
  push(client: SuiteClient, parameters: URLSearchParams): Promise<HttpResponse> {
    return send(this.endpoint('pushed_authorization_request_endpoint'), {
      form: parameters,
      headers: this.clientAuthentication(client),
    });
  }

  /** Runs the front channel: opens the request in the driver and approves (or denies) it. */
  async authorize(
    client: SuiteClient,
    options: AuthorizationOptions & { approval?: Approval; deny?: boolean; remember?: boolean } = {},
  ): Promise<{ outcome: DriverOutcome; opened: DriverOutcome; verifier: string; state: string }> {
    const { parameters, verifier, state } = this.parameters(client, options);
    const opened = await this.driver.open(this.authorizationUrl(parameters));
    if (opened.kind === 'redirect') return { outcome: opened, opened, verifier, state };
    const outcome = options.deny
      ? await this.driver.deny()
      : await this.driver.approve(options.approval, { remember: options.remember ?? false });
    return { outcome, opened, verifier, state };
  }

  /** Exchanges a code (§2.11.1); `form` overrides parameters for negatives. */
  async exchange(
    client: SuiteClient,
    code: string,
    verifier: string,
    options: { dpopKey?: DpopKey; form?: Record<string, string | null> } = {},
  ): Promise<HttpResponse> {
    return this.tokenRequest(
      client,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: client.redirect_uri,
        code_verifier: verifier,
        ...options.form,
      },
      options.dpopKey,
    );
  }

  /** Refreshes (§2.11.2). */
  refresh(client: SuiteClient, refreshToken: string, dpopKey?: DpopKey): Promise<HttpResponse> {
    return this.tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken }, dpopKey);
  }

  /** Revokes a token (RFC 7009). */
  revoke(client: SuiteClient, token: string, hint?: string): Promise<HttpResponse> {
    return send(this.endpoint('revocation_endpoint'), {
      form: {
        token,
        ...(hint && { token_type_hint: hint }),
        ...(client.client_secret === undefined && { client_id: client.client_id }),
      },
      headers: this.clientAuthentication(client),
    });
  }

  /** A token endpoint request with client authentication and, with a key, a DPoP proof (retrying once for a nonce). */
  async tokenRequest(
    client: SuiteClient,
    form: Record<string, string | null>,
    dpopKey?: DpopKey,
    proofOverride?: string,
  ): Promise<HttpResponse> {
    const url = this.endpoint('token_endpoint');
    const body: Record<string, string> = {};
    if (client.client_secret === undefined) body.client_id = client.client_id;
    for (const [name, value] of Object.entries(form)) if (value !== null) body[name] = value;
    const attempt = async (nonce?: string) => {
      const headers = this.clientAuthentication(client);
      if (proofOverride !== undefined) headers.dpop = proofOverride;
      else if (dpopKey) headers.dpop = await dpopKey.proof('POST', url, nonce === undefined ? {} : { nonce });
      return send(url, { form: body, headers });
    };
    const response = await attempt();
    const nonce = response.headers.get('dpop-nonce');
    if (
      dpopKey &&
      proofOverride === undefined &&
      member(response.json, 'error') === 'use_dpop_nonce' &&
      nonce
    ) {
      return attempt(nonce);
    }
    return response;
  }

  clientAuthentication(client: SuiteClient): Record<string, string> {
    if (client.client_secret === undefined) return {};
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`;
    return { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
  }

  /**
   * The whole happy path: authorize, approve, exchange. Fails the calling check when any step
   * does not succeed, since every later observation depends on it.
   */
  async connect(
    client: SuiteClient,
    options: AuthorizationOptions & { approval?: Approval; dpop?: boolean } = {},
  ): Promise<Connection> {
    const { outcome, verifier } = await this.authorize(client, options);
    const code = outcome.kind === 'redirect' ? outcome.location.searchParams.get('code') : null;
    if (!code) {
      const seen = outcome.kind === 'redirect' ? outcome.location.href : `page ${outcome.status}`;
      throw new CheckFailure(`approving the consent page did not redirect with a code (${seen})`);
    }
    const dpopKey = options.dpop ? await DpopKey.generate() : undefined;
    const response = await this.exchange(client, code, verifier, dpopKey ? { dpopKey } : {});
    const accessToken = member(response.json, 'access_token');
    if (response.status !== 200 || typeof accessToken !== 'string') {
      throw new CheckFailure(`the code exchange answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    const { claims } = decodeJws(accessToken);
    return {
      client,
      accessToken,
      refreshToken: String(member(response.json, 'refresh_token') ?? ''),
      grantId: String(claims.grant_id ?? ''),
      claims,
      tokenResponse: response.json as Record<string, unknown>,
      dpopKey,
    };
  }
}

/** A modest request the suite makes unless a module needs something else. */
export function defaultDetails(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'ai_allowance',
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
    budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'day' }] },
    ...overrides,
  };
}
