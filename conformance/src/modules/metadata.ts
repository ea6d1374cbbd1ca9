import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const secureOrLoopback = (url: string) => {
  const parsed = new URL(url);
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname));
};

/** The authorization server metadata of Part 2 §2.2 (RFC 8414). */
export const metadataModule = defineModule({
  name: 'metadata',
  plan: 'core',
  kind: 'http',
  summary: 'Authorization server metadata and its allowance member',
  checks: {
    'https-or-loopback': {
      requirements: ['META-1'],
      summary: 'issuer and G use https, or http on a loopback host',
    },
    'served-at-well-known': {
      requirements: ['META-2'],
      summary:
        'metadata is a JSON object with status 200 and application/json at the RFC 8414 location, issuer identical',
    },
    'details-types': {
      requirements: ['META-3'],
      summary: 'authorization_details_types_supported contains ai_allowance',
    },
    'pkce-s256-only': {
      requirements: ['META-4'],
      summary: 'code_challenge_methods_supported is exactly ["S256"]',
    },
    'response-and-grant-types': {
      requirements: ['META-5'],
      summary:
        'response_types_supported is ["code"]; grant types include code and refresh, exclude implicit and password',
    },
    'iss-parameter': {
      requirements: ['META-6'],
      summary: 'authorization_response_iss_parameter_supported is true',
    },
    endpoints: {
      requirements: ['META-7'],
      summary: 'the six endpoints are present; device endpoint present exactly with the device grant type',
    },
    'dpop-algs': {
      requirements: ['META-9'],
      summary: 'dpop_signing_alg_values_supported contains ES256, no none or HS*',
    },
    'allowance-member': {
      requirements: ['META-10'],
      summary: 'the allowance member has every member with its type, version 1.0 and all five periods',
    },
    'allowance-gateway': {
      requirements: ['META-11'],
      summary: 'allowance.gateway and allowance.resource equal G',
    },
    'allowance-providers': {
      requirements: ['META-12'],
      summary: 'provider ids match the pattern, are unique, and api is openai or anthropic',
    },
    'openid-configuration-agrees': {
      requirements: ['META-13'],
      summary: 'an openid-configuration document, when served, carries the same allowance member and values',
    },
  },
  async run({ check, wallet, config }) {
    const issuer = new URL(wallet.issuer);
    const location = `${issuer.origin}/.well-known/oauth-authorization-server${issuer.pathname === '/' ? '' : issuer.pathname}`;
    let metadata: Record<string, unknown> = {};
    await check('served-at-well-known', async () => {
      const response = await send(location);
      expectEqual(response.status, 200, 'status');
      expect(
        /^application\/json/.test(response.headers.get('content-type') ?? ''),
        'content type is not application/json',
      );
      expect(
        response.json !== null && typeof response.json === 'object' && !Array.isArray(response.json),
        'body is not a JSON object',
      );
      metadata = response.json as Record<string, unknown>;
      expectEqual(metadata.issuer, config.issuer.replace(/\/$/, ''), 'issuer member');
    });
    const allowance = (metadata.allowance ?? {}) as Record<string, unknown>;
    await check('https-or-loopback', async () => {
      expect(secureOrLoopback(wallet.issuer), `issuer ${wallet.issuer} is neither https nor loopback http`);
      expect(secureOrLoopback(wallet.gateway), `G ${wallet.gateway} is neither https nor loopback http`);
    });
    await check('details-types', async () => {
      const types = metadata.authorization_details_types_supported;
      expect(
        Array.isArray(types) && types.includes('ai_allowance'),
        `authorization_details_types_supported is ${JSON.stringify(types)}`,
      );
    });
    await check('pkce-s256-only', async () => {
      expectEqual(metadata.code_challenge_methods_supported, ['S256'], 'code_challenge_methods_supported');
    });
    await check('response-and-grant-types', async () => {
      expectEqual(metadata.response_types_supported, ['code'], 'response_types_supported');
      const grants = metadata.grant_types_supported;
      expect(Array.isArray(grants), 'grant_types_supported is missing');
      expect(
        grants.includes('authorization_code') && grants.includes('refresh_token'),
        `grant types ${JSON.stringify(grants)}`,
      );
      expect(
        !grants.includes('implicit') && !grants.includes('password'),
        `grant types ${JSON.stringify(grants)}`,
      );
    });
    await check('iss-parameter', async () => {
      expectEqual(
        metadata.authorization_response_iss_parameter_supported,
        true,
        'authorization_response_iss_parameter_supported',
      );
    });
    await check('endpoints', async () => {
      for (const name of [
        'authorization_endpoint',
        'token_endpoint',
        'jwks_uri',
        'revocation_endpoint',
        'introspection_endpoint',
        'pushed_authorization_request_endpoint',
      ]) {
        expect(typeof metadata[name] === 'string', `${name} is missing`);
      }
      const device = typeof metadata.device_authorization_endpoint === 'string';
      const grants = Array.isArray(metadata.grant_types_supported) ? metadata.grant_types_supported : [];
      expectEqual(
        grants.includes('urn:ietf:params:oauth:grant-type:device_code'),
        device,
        'device_code grant type advertised exactly when device_authorization_endpoint is',
      );
    });
    await check('dpop-algs', async () => {
      const algs = metadata.dpop_signing_alg_values_supported;
      expect(
        Array.isArray(algs) && algs.includes('ES256'),
        `dpop_signing_alg_values_supported is ${JSON.stringify(algs)}`,
      );
      expect(
        !algs.some((alg) => alg === 'none' || /^HS/.test(String(alg))),
        `refused algorithms advertised: ${JSON.stringify(algs)}`,
      );
    });
    await check('allowance-member', async () => {
      const types: Record<string, string> = {
        version: 'string',
        gateway: 'string',
        resource: 'string',
        currency: 'string',
        time_zone: 'string',
        providers: 'array',
        periods: 'array',
        max_grant_lifetime_seconds: 'integer',
        reservation_deadline_seconds: 'integer',
      };
      for (const [name, type] of Object.entries(types)) {
        const value = allowance[name];
        const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
        expectEqual(actual, type, `type of allowance.${name}`);
      }
      expectEqual(allowance.version, '1.0', 'allowance.version');
      expect(
        Number(allowance.reservation_deadline_seconds) > 0,
        `allowance.reservation_deadline_seconds is ${String(allowance.reservation_deadline_seconds)}`,
      );
      expect(/^[A-Z]{3}$/.test(String(allowance.currency)), 'allowance.currency is not an ISO 4217 code');
      for (const period of ['day', 'week', 'month', 'year', 'total']) {
        expect((allowance.periods as unknown[]).includes(period), `allowance.periods lacks ${period}`);
      }
    });
    await check('allowance-gateway', async () => {
      expectEqual(allowance.gateway, wallet.gateway, 'allowance.gateway');
      expectEqual(allowance.resource, wallet.gateway, 'allowance.resource');
    });
    await check('allowance-providers', async () => {
      const providers = Array.isArray(allowance.providers) ? allowance.providers : [];
      expect(providers.length > 0, 'allowance.providers is empty');
      const ids = providers.map((provider) => member(provider, 'id'));
      expectEqual(new Set(ids).size, ids.length, 'number of distinct provider ids');
      for (const provider of providers) {
        expect(
          /^[a-z0-9][a-z0-9_-]{0,63}$/.test(String(member(provider, 'id'))),
          `bad provider id ${JSON.stringify(provider)}`,
        );
        expect(
          ['openai', 'anthropic'].includes(String(member(provider, 'api'))),
          `bad api in ${JSON.stringify(provider)}`,
        );
      }
    });
    await check('openid-configuration-agrees', async () => {
      const response = await send(`${issuer.origin}/.well-known/openid-configuration`);
      if (response.status === 404) return;
      expectEqual(response.status, 200, 'status of openid-configuration');
      expectEqual(
        member(response.json, 'allowance'),
        metadata.allowance,
        'allowance member of openid-configuration',
      );
      for (const name of Object.keys(metadata).filter((key) => key !== 'allowance')) {
        const other = member(response.json, name);
        if (other !== undefined) expectEqual(other, metadata[name], `openid-configuration ${name}`);
      }
    });
  },
});
