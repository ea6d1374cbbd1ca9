import Router from '@koa/router';
import type { DashboardDependencies } from '../dashboard/dashboard-dependencies.js';
import { renderHome } from '../dashboard/home-view.js';
import { formSession, pageSession } from '../dashboard/session-guard.js';
import { loginPage } from '../interactions/login-page.js';
import { authenticate } from '../interactions/sign-in.js';
import { csrfField, csrfValid } from '../pages/csrf.js';
import { readForm } from '../pages/form-body.js';
import { deleteCredential, saveCredential } from '../vault/provider-credentials.js';

export { revokeWalletGrant } from '../dashboard/grant-revocation.js';

/** What the wallet's own pages need. */
export type HomeDependencies = DashboardDependencies;

/**
 * The wallet's own pages outside an authorization: the signed-in home, sign-in, sign-up,
 * sign-out and provider keys. Every change is a POST with a CSRF token and a live session.
 * The rest of the dashboard is in `dashboard/`.
 */
export function homeRoutes(dependencies: HomeDependencies): Router {
  const { store } = dependencies;
  const router = new Router();

  router.get('/', async (context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (session) await renderHome(context, dependencies, session);
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
    const allowed = await formSession(context, dependencies.sessions);
    if (!allowed) return;
    await dependencies.sessions.end(context);
    context.redirect('/signin');
  });

  // Adds a key, or replaces the one stored for the same provider.
  router.post('/keys', async (context) => {
    const allowed = await formSession(context, dependencies.sessions);
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
        // Only the owner's tick counts (spec SEC-8 rule 2); anything else leaves it off.
        privateNetwork: form.get('privateNetwork') === 'yes',
      },
      dependencies.now(),
    );
    await renderHome(
      context,
      dependencies,
      session,
      saved.ok
        ? { notice: `Saved the key for ${saved.summary.label} (…${saved.summary.keyLastFour}).` }
        : { problem: saved.message },
    );
    if (!saved.ok) context.status = 400;
  });

  router.post('/keys/:providerId/delete', async (context) => {
    const allowed = await formSession(context, dependencies.sessions);
    if (!allowed) return;
    const deleted = await deleteCredential(store, allowed.session.accountId, context.params.providerId ?? '');
    await renderHome(
      context,
      dependencies,
      allowed.session,
      deleted ? { notice: 'Key deleted.' } : { problem: 'No such key.' },
    );
    if (!deleted) context.status = 404;
  });

  return router;
}
