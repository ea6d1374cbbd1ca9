import type { Sealer, Store } from '@allowance/store';
import { findGrant, listGrants, revokeGrant } from '@allowance/store';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import type { ServerConfig } from '../config.js';
import { loginPage } from '../interactions/login-page.js';
import { authenticate, type SessionCookies } from '../interactions/sign-in.js';
import { csrfField, csrfValid } from '../pages/csrf.js';
import { readForm } from '../pages/form-body.js';
import { deleteCredential, listCredentials, saveCredential } from '../vault/provider-credentials.js';
import { homePage } from './home-page.js';

/** What the wallet's own pages need. */
export interface HomeDependencies {
  store: Store;
  sealer: Sealer;
  config: ServerConfig;
  throttle: LoginThrottle;
  sessions: SessionCookies;
  now: () => number;
}

/**
 * The wallet's own pages outside an authorization: sign-in, sign-up, sign-out, provider keys,
 * and revoking a grant. Every change is a POST with a CSRF token and a live session.
 */
export function homeRoutes(dependencies: HomeDependencies): Router {
  const { store } = dependencies;
  const router = new Router();

  const renderHome = async (
    context: Context,
    accountId: string,
    email: string,
    message: { notice?: string; problem?: string } = {},
  ) => {
    const [credentials, grants] = await Promise.all([
      listCredentials(store, accountId),
      listGrants(store, accountId),
    ]);
    context.type = 'html';
    context.body = homePage({ email, csrf: csrfField(context), credentials, grants, ...message });
  };

  /** The signed-in account for a state-changing form, or a refusal already written. */
  const authorize = async (context: Context) => {
    const session = await dependencies.sessions.current(context);
    const form = await readForm(context);
    if (!session) {
      context.status = 401;
      context.body = 'Sign in first.';
      return undefined;
    }
    if (!csrfValid(context, form.get('csrf'))) {
      context.status = 403;
      context.body = 'This form expired or did not come from this wallet. Go back, reload and try again.';
      return undefined;
    }
    return { session, form };
  };

  router.get('/', async (context) => {
    const session = await dependencies.sessions.current(context);
    if (!session) return context.redirect('/signin');
    await renderHome(context, session.accountId, session.email);
  });

  router.get('/signin', async (context) => {
    context.type = 'html';
    context.body = loginPage({ actionPrefix: '', csrf: csrfField(context) });
  });

  for (const mode of ['sign-in', 'sign-up'] as const) {
    router.post(mode === 'sign-in' ? '/login' : '/signup', async (context) => {
      const form = await readForm(context);
      const outcome = csrfValid(context, form.get('csrf'))
        ? await authenticate(context, dependencies, form, mode)
        : { ok: false as const, status: 403, problem: 'This form expired. Please try again.' };
      if (outcome.ok) return context.redirect('/');
      context.status = outcome.status;
      context.type = 'html';
      context.body = loginPage({ actionPrefix: '', csrf: csrfField(context), problem: outcome.problem });
    });
  }

  router.post('/signout', async (context) => {
    const allowed = await authorize(context);
    if (!allowed) return;
    await dependencies.sessions.end(context);
    context.redirect('/signin');
  });

  router.post('/keys', async (context) => {
    const allowed = await authorize(context);
    if (!allowed) return;
    const { session, form } = allowed;
    const saved = await saveCredential(
      store,
      dependencies.sealer,
      session.accountId,
      {
        providerId: form.get('providerId') ?? '',
        apiKey: form.get('apiKey') ?? '',
        baseUrl: form.get('baseUrl') || undefined,
        api: (form.get('api') || undefined) as 'openai' | 'anthropic' | undefined,
      },
      dependencies.now(),
    );
    if (!saved.ok) context.status = 400;
    await renderHome(
      context,
      session.accountId,
      session.email,
      saved.ok
        ? { notice: `Saved the key for ${saved.summary.label} (…${saved.summary.keyLastFour}).` }
        : { problem: saved.message },
    );
  });

  router.post('/keys/:providerId/delete', async (context) => {
    const allowed = await authorize(context);
    if (!allowed) return;
    const deleted = await deleteCredential(store, allowed.session.accountId, context.params.providerId ?? '');
    if (!deleted) context.status = 404;
    await renderHome(
      context,
      allowed.session.accountId,
      allowed.session.email,
      deleted ? { notice: 'Key deleted.' } : { problem: 'No such key.' },
    );
  });

  router.post('/grants/:grantId/revoke', async (context) => {
    const allowed = await authorize(context);
    if (!allowed) return;
    const grantId = context.params.grantId ?? '';
    const revoked = await revokeWalletGrant(dependencies, grantId, allowed.session.accountId);
    if (!revoked) context.status = 404;
    await renderHome(
      context,
      allowed.session.accountId,
      allowed.session.email,
      revoked
        ? { notice: 'Revoked. The app’s next call will be refused.' }
        : { problem: 'No such live grant.' },
    );
  });

  return router;
}

/**
 * Revokes a grant for its owner: marked revoked first (the gateway refuses it from the next
 * request), then every oidc-provider artefact of it deleted, so its refresh tokens stop working.
 */
export async function revokeWalletGrant(
  dependencies: { store: Store; now: () => number },
  grantId: string,
  accountId: string,
): Promise<boolean> {
  const grant = await findGrant(dependencies.store, grantId);
  if (!grant || grant.accountId !== accountId) return false;
  const revoked = await revokeGrant(
    dependencies.store,
    grantId,
    'revoked by the user',
    dependencies.now(),
    accountId,
  );
  await dependencies.store.database.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
  await dependencies.store.database
    .deleteFrom('oidc_models')
    .where('model', '=', 'Grant')
    .where('id', '=', grantId)
    .execute();
  return revoked;
}
