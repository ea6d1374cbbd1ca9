import {
  type ConfirmationRecord,
  confirmationState,
  decideConfirmation,
  findConfirmation,
  findGrant,
  listPendingConfirmations,
  walletSettings,
} from '@allowance/store';
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfField } from '../pages/csrf.js';
import { clientNames } from './client-names.js';
import { confirmationListPage, confirmationPage } from './confirmation-pages.js';
import type { DashboardDependencies } from './dashboard-dependencies.js';
import type { PageMessage } from './dashboard-layout.js';
import { grantUsage } from './grant-usage.js';
import { formSession, pageSession, type SignedIn } from './session-guard.js';

/** The confirmation, if it belongs to the account: another user's is as absent as a missing one. */
async function ownConfirmation(
  dependencies: DashboardDependencies,
  accountId: string,
  id: string,
): Promise<ConfirmationRecord | undefined> {
  const confirmation = await findConfirmation(dependencies.store, id);
  return confirmation && confirmation.accountId === accountId ? confirmation : undefined;
}

async function frame(context: Context, dependencies: DashboardDependencies, session: SignedIn) {
  const settings = await walletSettings(dependencies.store, session.accountId);
  return {
    email: session.email,
    csrf: csrfField(context),
    currency: settings?.currency ?? dependencies.config.currency,
    timeZone: settings?.timeZone ?? dependencies.config.timeZone,
  };
}

/** Renders one confirmation page, or the 404 page for one the account does not have. */
async function renderConfirmation(
  context: Context,
  dependencies: DashboardDependencies,
  session: SignedIn,
  id: string,
  message: PageMessage = {},
): Promise<void> {
  const { store } = dependencies;
  const now = dependencies.now();
  const [page, confirmation] = await Promise.all([
    frame(context, dependencies, session),
    ownConfirmation(dependencies, session.accountId, id),
  ]);
  context.type = 'html';
  if (!confirmation) {
    context.status = 404;
    context.body = confirmationListPage({
      ...page,
      message: { problem: 'No such confirmation.' },
      pending: await pendingViews(dependencies, session.accountId, now),
    });
    return;
  }
  const grant = await findGrant(store, confirmation.grantId);
  const [names, usage] = await Promise.all([
    clientNames(dependencies.provider, [confirmation.clientId]),
    grant ? grantUsage(store, [grant], page.timeZone, now) : new Map(),
  ]);
  context.body = confirmationPage({
    ...page,
    message,
    confirmation,
    state: confirmationState(confirmation, now),
    clientName: names(confirmation.clientId),
    usage: usage.get(confirmation.grantId) ?? [],
  });
}

async function pendingViews(dependencies: DashboardDependencies, accountId: string, now: number) {
  const pending = await listPendingConfirmations(dependencies.store, accountId, now);
  const names = await clientNames(
    dependencies.provider,
    pending.map((confirmation) => confirmation.clientId),
  );
  return pending.map((confirmation) => ({ confirmation, clientName: names(confirmation.clientId) }));
}

const DECISIONS = {
  approve: {
    decision: 'approved',
    notice: 'Approved. The app’s next retry of this call goes through, once.',
  },
  deny: { decision: 'denied', notice: 'Denied. The app is told you refused this call.' },
} as const;

/**
 * Human confirmation of expensive calls (spec 06-metering §6.10): `GET /confirmations` lists the
 * account's pending ones, `GET /confirmations/:id` shows one, and `POST
 * /confirmations/:id/{approve,deny}` decides it. Pages need a live session, decisions also this
 * browser's CSRF token (spec SEC-9); another account's confirmation answers 404, and a decision
 * counts only while the confirmation is pending and unexpired.
 */
export function confirmationRoutes(dependencies: DashboardDependencies): Router {
  const router = new Router();

  router.get('/confirmations', async (context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (!session) return;
    const [page, pending] = await Promise.all([
      frame(context, dependencies, session),
      pendingViews(dependencies, session.accountId, dependencies.now()),
    ]);
    context.type = 'html';
    context.body = confirmationListPage({ ...page, pending });
  });

  router.get('/confirmations/:id', async (context) => {
    const session = await pageSession(context, dependencies.sessions);
    if (!session) return;
    await renderConfirmation(context, dependencies, session, context.params.id ?? '');
  });

  for (const [action, { decision, notice }] of Object.entries(DECISIONS)) {
    router.post(`/confirmations/:id/${action}`, async (context) => {
      const allowed = await formSession(context, dependencies.sessions);
      if (!allowed) return;
      const { session } = allowed;
      const id = context.params.id ?? '';
      const confirmation = await ownConfirmation(dependencies, session.accountId, id);
      if (!confirmation) return renderConfirmation(context, dependencies, session, id);
      const decided = await decideConfirmation(dependencies.store, {
        id,
        accountId: session.accountId,
        decision,
        now: dependencies.now(),
      });
      await renderConfirmation(
        context,
        dependencies,
        session,
        id,
        decided
          ? { notice }
          : { problem: 'This confirmation was already decided or has expired. Nothing was changed.' },
      );
      if (!decided) context.status = 409;
    });
  }
  return router;
}
