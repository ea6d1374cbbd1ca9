import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { callGateway } from '../wire/gateway-call.js';
import { member, send } from '../wire/http.js';

/** The location RFC 9728 §3.1 derives from G. */
export function resourceMetadataUrl(gateway: string): string {
  const url = new URL(gateway);
  return `${url.origin}/.well-known/oauth-protected-resource${url.pathname === '/' ? '' : url.pathname}`;
}

/** The gateway's protected resource metadata (Part 5 §5.14, RFC 9728). */
export const protectedResourceModule = defineModule({
  name: 'protected-resource',
  plan: 'core',
  kind: 'http',
  summary: 'Protected resource metadata and the resource_metadata of 401 challenges',
  checks: {
    'served-unauthenticated': {
      requirements: ['META-14'],
      summary:
        'served without authentication, 200, application/json, at the RFC 9728 location; 401s point at it',
    },
    members: {
      requirements: ['META-15', 'META-11'],
      summary:
        'resource is G, authorization_servers has the issuer, header-only bearer, ES256, ai_allowance, name, allowance_endpoint',
    },
  },
  async run({ check, wallet }) {
    const location = resourceMetadataUrl(wallet.gateway);
    let document: unknown;
    await check('served-unauthenticated', async () => {
      const response = await send(location);
      expectEqual(response.status, 200, 'status');
      expect(
        /^application\/json/.test(response.headers.get('content-type') ?? ''),
        'content type is not application/json',
      );
      document = response.json;
      const refused = await callGateway(wallet.gateway, '/v1/models', null);
      expectEqual(refused.status, 401, 'status of an unauthenticated gateway call');
      const challenge = refused.headers.get('www-authenticate') ?? '';
      expect(
        challenge.includes(`resource_metadata="${location}"`),
        `challenge does not name ${location}: ${challenge}`,
      );
    });
    await check('members', async () => {
      expectEqual(member(document, 'resource'), wallet.gateway, 'resource');
      const servers = member(document, 'authorization_servers');
      expect(
        Array.isArray(servers) && servers.includes(wallet.issuer),
        `authorization_servers is ${JSON.stringify(servers)}`,
      );
      expectEqual(member(document, 'bearer_methods_supported'), ['header'], 'bearer_methods_supported');
      const algs = member(document, 'dpop_signing_alg_values_supported');
      expect(Array.isArray(algs) && algs.includes('ES256'), 'dpop_signing_alg_values_supported lacks ES256');
      const types = member(document, 'authorization_details_types_supported');
      expect(
        Array.isArray(types) && types.includes('ai_allowance'),
        'authorization_details_types_supported lacks ai_allowance',
      );
      expect(typeof member(document, 'resource_name') === 'string', 'resource_name is missing');
      expectEqual(
        member(document, 'allowance_endpoint'),
        `${wallet.gateway}/v1/allowance`,
        'allowance_endpoint',
      );
    });
  },
});
