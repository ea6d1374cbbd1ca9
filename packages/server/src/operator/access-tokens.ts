import Router from '@koa/router';
import { importJWK, type JWK, SignJWT } from 'jose';
import { z } from 'zod';
import { readJson } from './json-body.js';
import type { OperatorDependencies } from './operator-dependencies.js';

const tokenBody = z.object({
  header: z.record(z.string(), z.unknown()).default({}),
  claims: z.record(z.string(), z.unknown()),
});

/**
 * `POST /access-tokens`: signs claims with the wallet's current access-token signing key (ES256,
 * `typ: at+jwt`, its `kid`; the given header fields override), so that the suite can present
 * validly signed tokens with a wrong `aud`, `iss`, `typ` or `exp` ([GW-4]). Test mode only: it
 * mints tokens for any claims, which is why the whole interface is off unless configured.
 */
export function accessTokens(dependencies: OperatorDependencies): Router {
  const router = new Router();
  router.post('/access-tokens', async (context) => {
    const { header, claims } = await readJson(context, tokenBody);
    const row = await dependencies.store.database
      .selectFrom('signing_keys')
      .select(['kid', 'sealed_private_jwk'])
      .where('retired_at', 'is', null)
      .executeTakeFirstOrThrow();
    const jwk = JSON.parse(
      dependencies.sealer.unseal(row.sealed_private_jwk, `signing-key:${row.kid}`),
    ) as JWK;
    // A header member given as null is left out, so that a token without `kid` can be built.
    const protectedHeader = Object.fromEntries(
      Object.entries({ alg: 'ES256', typ: 'at+jwt', kid: row.kid, ...header }).filter(
        ([, value]) => value !== null,
      ),
    ) as { alg: string };
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader(protectedHeader)
      .sign(await importJWK(jwk, 'ES256'));
    context.body = { access_token: accessToken };
  });
  return router;
}
