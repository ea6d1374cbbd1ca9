import { type AiAllowance, aiAllowanceSchema, narrow } from '@allowance/protocol';
import type { Store } from '@allowance/store';
import { createGrant, findRememberedGrant, newGrantId, walletSettings } from '@allowance/store';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import type { ServerConfig } from '../config.js';
import { csrfField, csrfValid } from '../pages/csrf.js';
import { type Form, readForm } from '../pages/form-body.js';
import { pageSecurityHeaders } from '../pages/security-headers.js';
import { listCredentials } from '../vault/provider-credentials.js';
import { approvalFromForm } from './approval-form.js';
import { type ClientDescription, consentPage } from './consent-page.js';
import { loginPage } from './login-page.js';
import { authenticate, type SessionCookies } from './sign-in.js';

/** What the interaction routes need. */
export interface InteractionDependencies {
  provider: Provider;
  store: Store;
  config: ServerConfig;
  throttle: LoginThrottle;
  sessions: SessionCookies;
  now: () => number;
  /**
   * Test mode only (the operator interface, spec 8.2): the form to read for an approval, with an
   * approval the operator staged for this client filled in. Absent unless the interface is enabled.
   */
  nextApproval?: (accountId: string, clientId: string, form: Form) => Promise<Form>;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The login and consent steps of an authorization (spec 02-authorization, consent): oidc-provider
 * sends the browser to `/interaction/:uid`; these routes sign the user in, show what the app
 * asks for, and finish the interaction with the approved, narrowed grant, or `access_denied`.
 */
export function interactionRoutes(dependencies: InteractionDependencies): Router {
  const { provider, store, config } = dependencies;
  const router = new Router();

  const requestedAllowance = (details: Details): AiAllowance => {
    const raw = details.params.authorization_details;
    return aiAllowanceSchema.parse((JSON.parse(String(raw)) as unknown[])[0]);
  };

  const describeClient = async (clientId: string): Promise<ClientDescription> => {
    const client = await provider.Client.find(clientId);
    const metadata = (client?.metadata() ?? {}) as Record<string, unknown>;
    const issuedAt = metadata.client_id_issued_at;
    return {
      id: clientId,
      name: client?.clientName ?? clientId,
      logoUri: client?.logoUri,
      redirectHosts: [...new Set((client?.redirectUris ?? []).map((uri) => new URL(uri).host))],
      registeredAt: typeof issuedAt === 'number' ? issuedAt * 1000 : undefined,
      dpopBound: client?.dpopBoundAccessTokens === true,
    };
  };

  // Consent POSTs end in a redirect to the app's callback, which the form-action CSP must allow.
  const formTargets = (client: ClientDescription) =>
    client.redirectHosts.flatMap((host) => [`http://${host}`, `https://${host}`]);

  const renderConsent = async (
    context: Context,
    details: Details,
    accountId: string,
    problems: string[] = [],
  ) => {
    const client = await describeClient(String(details.params.client_id));
    const [settings, credentials, account] = await Promise.all([
      walletSettings(store, accountId),
      listCredentials(store, accountId),
      store.database.selectFrom('accounts').select('email').where('id', '=', accountId).executeTakeFirst(),
    ]);
    const requested = requestedAllowance(details);
    const latest = Math.min(
      dependencies.now() + config.maxGrantSeconds * 1000,
      requested.expires_at ? Date.parse(requested.expires_at) : Number.POSITIVE_INFINITY,
    );
    pageSecurityHeaders(context, formTargets(client));
    context.type = 'html';
    context.body = consentPage({
      uid: details.uid,
      csrf: csrfField(context),
      client,
      requested,
      availableProviders: new Set(credentials.map((credential) => credential.providerId)),
      price: (providerId, model) => settings?.prices[providerId]?.[model],
      defaultExpiry: new Date(latest).toISOString().slice(0, 10),
      problems,
      signedInAs: account?.email ?? '',
      now: dependencies.now(),
    });
  };

  const finish = async (
    context: Context,
    result: Parameters<Provider['interactionFinished']>[2],
    merge: boolean,
  ) => {
    await provider.interactionFinished(context.req, context.res, result, { mergeWithLastSubmission: merge });
    context.respond = false;
  };

  router.get('/interaction/:uid', async (context) => {
    const details = await provider.interactionDetails(context.req, context.res);
    if (details.prompt.name === 'login') {
      // Already signed in to the wallet in this browser: no second password prompt.
      const session = await dependencies.sessions.current(context);
      if (session) return finish(context, { login: { accountId: session.accountId } }, false);
      const client = await describeClient(String(details.params.client_id));
      pageSecurityHeaders(context);
      context.type = 'html';
      context.body = loginPage({
        actionPrefix: `/interaction/${details.uid}`,
        csrf: csrfField(context),
        clientName: client.name,
      });
      return;
    }
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error('consent prompt without a signed-in account');
    const remembered = await rememberedApproval(details, accountId);
    if (remembered) return finish(context, { consent: { grantId: remembered } }, true);
    await renderConsent(context, details, accountId);
  });

  /**
   * A remembered grant covers a new request only when the request fits inside what the user
   * approved before; it is then reused, counters and all, so reconnecting never refills a
   * budget. Never for the device flow, nor when the app asks for the screen (prompt=consent).
   */
  const rememberedApproval = async (details: Details, accountId: string): Promise<string | undefined> => {
    const clientId = String(details.params.client_id);
    const prompts = String(details.params.prompt ?? '').split(' ');
    if (prompts.includes('consent') || details.returnTo.includes('/device/')) return undefined;
    const grant = await findRememberedGrant(store, accountId, clientId, dependencies.now());
    if (!grant) return undefined;
    const requested = requestedAllowance(details);
    const fits = narrow(
      grant.details,
      {
        ...requested,
        retention: requested.retention ?? 'provider_default',
        expires_at: grant.details.expires_at,
      },
      {
        now: new Date(dependencies.now()),
      },
    );
    if (!fits.ok) return undefined;
    const existing = await provider.Grant.find(grant.id);
    if (existing) return grant.id;
    const recreated = new provider.Grant({ jti: grant.id, accountId, clientId } as ConstructorParameters<
      typeof provider.Grant
    >[0]);
    recreated.addRar(grant.details);
    return recreated.save();
  };

  for (const mode of ['sign-in', 'sign-up'] as const) {
    router.post(`/interaction/:uid/${mode === 'sign-in' ? 'login' : 'signup'}`, async (context) => {
      const details = await provider.interactionDetails(context.req, context.res);
      const form = await readForm(context);
      const client = await describeClient(String(details.params.client_id));
      const outcome = csrfValid(context, form.get('csrf'))
        ? await authenticate(context, dependencies, form, mode)
        : { ok: false as const, status: 403, problem: 'This form expired. Please try again.' };
      if (!outcome.ok) {
        pageSecurityHeaders(context);
        context.status = outcome.status;
        context.type = 'html';
        context.body = loginPage({
          actionPrefix: `/interaction/${details.uid}`,
          csrf: csrfField(context),
          clientName: client.name,
          email: mode === 'sign-in' ? (form.get('email') ?? '') : '',
          problem: outcome.problem,
        });
        return;
      }
      await finish(context, { login: { accountId: outcome.accountId } }, false);
    });
  }

  router.post('/interaction/:uid/consent', async (context) => {
    const details = await provider.interactionDetails(context.req, context.res);
    const accountId = details.session?.accountId;
    const form = await readForm(context);
    if (!accountId || details.prompt.name !== 'consent') {
      context.status = 400;
      context.body = 'This authorization is not waiting for a consent.';
      return;
    }
    if (!csrfValid(context, form.get('csrf'))) {
      context.status = 403;
      return renderConsent(context, details, accountId, [
        'This form expired or did not come from this wallet. Review and approve again.',
      ]);
    }
    if (form.get('decision') !== 'approve') {
      return finish(
        context,
        { error: 'access_denied', error_description: 'The user denied the allowance.' },
        false,
      );
    }
    const clientId = String(details.params.client_id);
    const fields = dependencies.nextApproval
      ? await dependencies.nextApproval(accountId, clientId, form)
      : form;
    const requested = requestedAllowance(details);
    const credentials = await listCredentials(store, accountId);
    const now = new Date(dependencies.now());
    const latestExpiry = new Date(now.getTime() + config.maxGrantSeconds * 1000);
    const { approval, problems } = approvalFromForm(requested, fields, {
      now,
      latestExpiry,
      availableProviders: new Set(credentials.map((credential) => credential.providerId)),
    });
    const verdict = problems.length === 0 ? narrow(requested, approval, { now, latestExpiry }) : undefined;
    if (!verdict?.ok) {
      context.status = 400;
      const reasons = verdict
        ? verdict.violations.map((violation) => `${violation.path}: ${violation.message}`)
        : problems;
      return renderConsent(context, details, accountId, reasons);
    }
    const grantId = newGrantId();
    await createGrant(store, {
      id: grantId,
      accountId,
      clientId,
      details: verdict.approved,
      remember: form.get('remember') === 'yes',
      requireDpop: form.get('require_dpop') === 'yes',
      now: now.getTime(),
    });
    const grant = new provider.Grant({ jti: grantId, accountId, clientId } as ConstructorParameters<
      typeof provider.Grant
    >[0]);
    grant.addRar(verdict.approved);
    await finish(context, { consent: { grantId: await grant.save() } }, true);
  });

  return router;
}
