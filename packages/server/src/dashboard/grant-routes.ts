import Router from '@koa/router';
import type { Form } from '../pages/form-body.js';
import { allowlistAction } from './address-allowlist.js';
import type { DashboardDependencies } from './dashboard-dependencies.js';
import { dpopRequirementAction } from './dpop-requirement.js';
import {
  type ActionOutcome,
  lowerLimitsAction,
  moveExpiryAction,
  resumeAction,
  revokeAction,
  suspendAction,
} from './grant-actions.js';
import { renderHome } from './home-view.js';
import { renderRevokeConfirmation } from './revoke-confirmation.js';
import { formSession } from './session-guard.js';

type GrantAction = (
  dependencies: DashboardDependencies,
  accountId: string,
  grantId: string,
  form: Form,
) => Promise<ActionOutcome>;

const ACTIONS: Readonly<Record<string, GrantAction>> = {
  revoke: (dependencies, accountId, grantId) => revokeAction(dependencies, accountId, grantId),
  suspend: suspendAction,
  resume: (dependencies, accountId, grantId) => resumeAction(dependencies, accountId, grantId),
  limits: lowerLimitsAction,
  expiry: moveExpiryAction,
  addresses: allowlistAction,
  dpop: dpopRequirementAction,
};

/**
 * The actions on a connected app: `POST /grants/:grantId/{revoke,suspend,resume,limits,expiry,addresses,dpop}`.
 * Each needs a live session and this browser's CSRF token, and reaches only the session
 * account's grants (another account's grant id answers 404). The home page comes back with
 * what happened.
 */
export function grantRoutes(dependencies: DashboardDependencies): Router {
  const router = new Router();
  for (const [name, action] of Object.entries(ACTIONS)) {
    router.post(`/grants/:grantId/${name}`, async (context) => {
      const allowed = await formSession(context, dependencies.sessions);
      if (!allowed) return;
      const { session, form } = allowed;
      const grantId = context.params.grantId ?? '';
      // Revoking is final: the first press asks, the confirmation page's button revokes.
      if (name === 'revoke' && form.get('confirm') !== 'yes') {
        if (await renderRevokeConfirmation(context, dependencies, session, grantId)) return;
      }
      const outcome = await action(dependencies, session.accountId, grantId, form);
      await renderHome(
        context,
        dependencies,
        session,
        outcome.ok
          ? { notice: outcome.notice }
          : { problem: outcome.problem, problemDetails: outcome.problemDetails },
      );
      if (!outcome.ok) context.status = outcome.status;
    });
  }
  return router;
}
