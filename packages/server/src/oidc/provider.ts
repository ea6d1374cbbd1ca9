import { createHmac } from 'node:crypto';
import { AI_ALLOWANCE_TYPE, PERIODS, PROTOCOL_VERSION } from '@allowance/protocol';
import type { Store } from '@allowance/store';
import { findGrant, markGrantConnected, revokeGrant } from '@allowance/store';
import type { JWK } from 'jose';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { findAccount } from '../accounts/accounts.js';
import type { ServerConfig } from '../config.js';
import { KNOWN_PROVIDERS } from '../vault/provider-credentials.js';
import { validateAllowanceRequest } from './allowance-request.js';
import { deviceFlowPages } from './device-pages.js';
import { devicePolling } from './device-polling.js';
import { kyselyAdapter } from './kysely-adapter.js';
import type { OidcRecordSealing } from './oidc-record-sealing.js';
import { redirectUriProblem } from './redirect-uri-policy.js';
import { renderProviderError } from './render-error.js';

/** What the provider needs besides the configuration. */
export interface ProviderDependencies {
  store: Store;
  /** How records are hashed and sealed in the store (spec SEC-14). */
  records: OidcRecordSealing;
  signingKeys: JWK[];
  cookieKeys: string[];
  /** Secret for pairwise subject identifiers. */
  pairwiseSecret: Uint8Array;
  /** 32 bytes that make the token endpoint's DPoP nonces (RFC 9449 §8). */
  dpopNonceSecret: Uint8Array;
  /** Receives oidc-provider's error details, which its responses hide. */
  onError: (event: string, detail: Record<string, unknown>) => void;
}

/**
 * oidc-provider configured as an OAuth 2.1 authorization server for Allowance (spec
 * 02-authorization): code + PKCE S256 only, exact redirect URIs, `iss` in responses, the gateway
 * as the only resource, RFC 9068 JWT access tokens carrying the approved `ai_allowance`, rotating
 * refresh tokens whose replay revokes the grant, PAR, device flow, DPoP, revocation,
 * introspection, and registration gated by an initial access token.
 */
export function createProvider(config: ServerConfig, dependencies: ProviderDependencies): Provider {
  const { store } = dependencies;
  const pairwise = (clientId: string, accountId: string) =>
    createHmac('sha256', dependencies.pairwiseSecret).update(`${clientId}|${accountId}`).digest('base64url');

  const configuration: Configuration = {
    adapter: kyselyAdapter(store, dependencies.records, {
      onGrantDestroyed: async (grantId) => {
        await revokeGrant(store, grantId, revocationReason(Provider.ctx?.oidc?.route), Date.now());
      },
    }),
    jwks: { keys: dependencies.signingKeys as Configuration['jwks'] extends { keys: infer K } ? K : never },
    cookies: { keys: dependencies.cookieKeys, long: { signed: true }, short: { signed: true } },
    clients: config.clients.map((client) => ({
      ...client,
      token_endpoint_auth_method:
        client.token_endpoint_auth_method ?? (client.client_secret ? 'client_secret_basic' : 'none'),
      response_types: client.grant_types.includes('authorization_code') ? ['code'] : [],
      authorization_details_types: [AI_ALLOWANCE_TYPE],
    })),
    // Every client, static, registered or loaded back from the store, passes through here: the
    // wallet's policy that public clients use DPoP (spec DPOP-3) is applied to its metadata.
    extraClientMetadata: {
      properties: ['dpop_bound_access_tokens'],
      validator(_context, _key, _value, metadata) {
        for (const uri of (metadata.redirect_uris as string[] | undefined) ?? []) {
          const problem = redirectUriProblem(uri);
          if (problem) throw new errors.InvalidRedirectUri(`${uri} ${problem}`);
        }
        if (config.requireDpopForPublicClients && metadata.token_endpoint_auth_method === 'none')
          metadata.dpop_bound_access_tokens = true;
      },
    },
    // A token request names its account through a code, device code or refresh token: refuse one
    // whose account is gone, whose grant has expired or been revoked, or whose grant the user set
    // to DPoP-only when it carries no proof (spec DPOP-3). Runs before a refresh token is rotated,
    // so the app can retry with a proof.
    async findAccount(context, sub, token) {
      const account = await findAccount(store, sub);
      if (!account) return undefined;
      const grantId = token ? grantIdOf(token) : undefined;
      const grant = grantId ? await findGrant(store, grantId) : undefined;
      // A token request for a grant that has ended gets no new tokens (spec TOK-16, REV-4).
      if (grant && grant.expiresAt <= Date.now())
        throw new errors.InvalidGrant(`the allowance expired at ${grant.details.expires_at}`);
      if (grant?.status === 'revoked') throw new errors.InvalidGrant('the allowance was revoked');
      if (grant?.requireDpop && !context.get('DPoP'))
        throw new errors.InvalidDpopProof('The user requires DPoP for this app: send a DPoP proof.');
      return { accountId: sub, claims: () => ({ sub }) };
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
      authorization_details_types: [AI_ALLOWANCE_TYPE],
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    scopes: [],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA'],
    },
    clientBasedCORS: (_context, origin, client) =>
      client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    extraParams: {
      // RFC 9396 makes authorization_details optional; for Allowance it is the whole request.
      authorization_details(context, value) {
        // Spec AUTH-8, AUTH-9: both checked here, before any login (AUTH-10), for the
        // authorization, PAR and device endpoints alike.
        if (Array.isArray(context.oidc.params?.resource))
          throw new errors.InvalidTarget('resource must be given exactly once: the gateway');
        if (value === undefined)
          throw new errors.InvalidAuthorizationDetails('authorization_details is required: one ai_allowance');
        if (typeof value === 'string' && /^\s*\[\s*\]\s*$/.test(value))
          throw new errors.InvalidAuthorizationDetails('authorization_details must hold one ai_allowance');
      },
    },
    interactions: { url: (_context, interaction) => `/interaction/${interaction.uid}` },
    renderError: renderProviderError,
    issueRefreshToken: (_context, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    expiresWithSession: () => false,
    ttl: {
      AccessToken: config.accessTokenSeconds,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Interaction: 3600,
      Session: config.sessionSeconds,
      Grant: config.maxGrantSeconds,
      RefreshToken: config.refreshTokenSeconds,
      PushedAuthorizationRequest: 60,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      claimsParameter: { enabled: false },
      pushedAuthorizationRequests: { enabled: true },
      dPoP: {
        enabled: true,
        // Spec DPOP-5: with nonces required, a proof made in advance expires within minutes.
        // Without them no nonce secret is given: oidc-provider would otherwise answer a proof
        // whose iat is outside its window with use_dpop_nonce, offering a way round the
        // window, where the spec (DPOP-12) refuses it with invalid_dpop_proof.
        ...(config.requireDpopNonce && { nonceSecret: Buffer.from(dependencies.dpopNonceSecret) }),
        requireNonce: () => config.requireDpopNonce,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_context, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // Only a confidential client can prove it is the app (spec TOK-5), and only about its own tokens.
        allowedPolicy: (_context, client, token) =>
          client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      registration: {
        enabled: config.registrationToken !== undefined,
        ...(config.registrationToken && { initialAccessToken: config.registrationToken }),
      },
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...deviceFlowPages },
      resourceIndicators: {
        enabled: true,
        // No default: the app must name the gateway, so tokens are always audience-bound.
        defaultResource: (_context, _client, oneOf) => oneOf as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo(_context, resourceIndicator) {
          if (resourceIndicator !== config.gateway) throw new errors.InvalidTarget();
          return {
            scope: '',
            audience: config.gateway,
            accessTokenFormat: 'jwt',
            accessTokenTTL: config.accessTokenSeconds,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
      richAuthorizationRequests: {
        enabled: true,
        types: {
          [AI_ALLOWANCE_TYPE]: {
            validate: (context, detail) => validateAllowanceRequest(context, detail, config),
          },
        },
        // Codes and device codes carry what the user approved, put on the Grant by the consent step.
        authorizationDetailsForGrantSource: (context) => context.oidc.grant?.rar,
        // Every access token carries the grant as it stands now, so lowering a limit takes effect
        // at the next refresh even for details the app cached.
        async authorizationDetailsForAccessToken(_context, token) {
          const grantId = grantIdOf(token);
          const grant = grantId ? await findGrant(store, grantId) : undefined;
          return grant ? [grant.details] : undefined;
        },
        authorizationDetailsForIntrospection: (_context, token) => token.rar,
      },
    },
    async extraTokenClaims(_context, token) {
      const grantId = grantIdOf(token);
      if (!grantId) return undefined;
      // The first token makes the approval a connected app; one refused at the token endpoint
      // (no DPoP proof, say) never shows as one.
      const grant = await findGrant(store, grantId);
      if (grant && grant.firstTokenAt === null) await markGrantConnected(store, grantId, Date.now());
      return { grant_id: grantId };
    },
    formats: {
      customizers: {
        // A pairwise subject per client for every client, device-flow CLIs included
        // (oidc-provider's own pairwise mode requires a jwks_uri for those).
        jwt(_context, token, jwt) {
          const accountId = (token as { accountId?: string }).accountId;
          const clientId = (token as { clientId?: string }).clientId;
          if (accountId && clientId) jwt.payload.sub = pairwise(clientId, accountId);
        },
      },
    },
    discovery: {
      allowance: {
        version: PROTOCOL_VERSION,
        gateway: config.gateway,
        resource: config.gateway,
        currency: config.currency,
        time_zone: config.timeZone,
        providers: Object.entries(KNOWN_PROVIDERS).map(([id, known]) => ({ id, api: known.api })),
        periods: [...PERIODS],
        max_grant_lifetime_seconds: config.maxGrantSeconds,
        // Spec MTR-26: when an open reservation counts as abandoned, so an app and an auditor
        // know how long a crash can hold part of a budget.
        reservation_deadline_seconds: config.reservationDeadlineSeconds,
      },
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;

  provider.use(devicePolling());

  // oidc-provider refuses a DPoP-bound client's token request without a proof as invalid_grant;
  // the spec (DPOP-3) names the error invalid_dpop_proof, which tells the app what to fix.
  provider.use(async (context: KoaContextWithOIDC, next) => {
    await next();
    const body = context.body as { error?: string } | undefined;
    if (
      context.oidc?.route === 'token' &&
      context.status === 400 &&
      body?.error === 'invalid_grant' &&
      !context.get('DPoP') &&
      context.oidc.client?.dpopBoundAccessTokens
    ) {
      context.body = {
        error: 'invalid_dpop_proof',
        error_description: 'This app must send a DPoP proof with every token request.',
      };
    }
  });

  // oidc-provider answers a DPoP proof whose jti it has seen with invalid_grant; RFC 9449 §5 and
  // the spec (DPOP-13) name the error invalid_dpop_proof. The reason is only on the error event.
  const replayedProofs = new WeakSet<object>();
  provider.on('grant.error', (context: KoaContextWithOIDC, error: { error_detail?: string }) => {
    if (error.error_detail === 'DPoP proof JWT Replay detected') replayedProofs.add(context);
  });
  provider.use(async (context: KoaContextWithOIDC, next) => {
    await next();
    if (context.oidc?.route === 'token' && context.status === 400 && replayedProofs.has(context)) {
      context.body = {
        error: 'invalid_dpop_proof',
        error_description: 'This DPoP proof was used before: make a new proof for every request.',
      };
    }
  });

  // Introspection reports the account id as `sub` for public subject types: answer with the
  // same pairwise value the access tokens carry.
  provider.use(async (context: KoaContextWithOIDC, next) => {
    await next();
    const body = context.body as { active?: boolean; sub?: string; client_id?: string } | undefined;
    if (context.oidc?.route === 'introspection' && body?.active && body.sub && body.client_id) {
      body.sub = pairwise(body.client_id, body.sub);
    }
  });

  // Error responses hide the reason (every invalid_grant reads "grant request is invalid");
  // the detail is on the event, so pass it to the log.
  const report =
    (event: string) =>
    (_context: unknown, error: { error?: string; error_detail?: string; message?: string }) =>
      dependencies.onError(event, { error: error.error ?? error.message, detail: error.error_detail });
  provider.on('grant.error', report('grant.error'));
  provider.on('authorization.error', report('authorization.error'));
  provider.on('server_error', report('server_error'));
  provider.on('introspection.error', report('introspection.error'));
  provider.on('revocation.error', report('revocation.error'));
  return provider;
}

/**
 * Why oidc-provider ended a grant, in words for the owner's dashboard, from the endpoint that
 * ended it: the app's own revocation (RFC 7009) is an app disconnecting, a reused refresh token or
 * code at the token endpoint is a replay (RFC 9700 §4.14.2, spec TOK rotation), and signing out
 * of the app ends its grant too.
 */
export function revocationReason(route: string | undefined): string {
  switch (route) {
    case 'revocation':
      return 'the app disconnected itself (it revoked its own token)';
    case 'token':
      return 'revoked by the wallet: a refresh token or code was used a second time, as a stolen one would be';
    case 'end_session':
      return 'ended when you signed out of the app';
    default:
      return 'ended by the authorization server';
  }
}

/** Access tokens carry their grant id; client-credentials tokens (never issued here) do not. */
function grantIdOf(token: object): string | undefined {
  const grantId = (token as { grantId?: unknown }).grantId;
  return typeof grantId === 'string' ? grantId : undefined;
}
