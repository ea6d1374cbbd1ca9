import { findGrant } from '@allowance/store';
import Router from '@koa/router';
import { z } from 'zod';
import { allowlistAction } from '../dashboard/address-allowlist.js';
import { lowerLimitsAction, resumeAction, revokeAction, suspendAction } from '../dashboard/grant-actions.js';
import { answerOutcome } from './action-outcome.js';
import { approvalFields, overlayFields } from './approval-fields.js';
import { readJson } from './json-body.js';
import type { OperatorDependencies } from './operator-dependencies.js';
import { notFound } from './operator-errors.js';

const approvalBody = z.object({ approval: z.record(z.string(), z.unknown()) });
const addressesBody = z.object({ blocks: z.array(z.string()) });

/**
 * The dashboard's actions on one of the test user's grants (spec 8.2 `admin`): revoke, suspend,
 * resume ([REV-4] [REV-5] [REV-6]), lower its limits ([REV-8]) and set its IP allowlist
 * ([SEC-2] [SEC-3]). Each calls the dashboard's own action with the form the dashboard would
 * post, so the rules and their refusals are the dashboard's; another account's grant is 404.
 */
export function grantOperations(dependencies: OperatorDependencies): Router {
  const router = new Router({ prefix: '/grants/:grantId' });
  const account = () => dependencies.testUser.accountId(dependencies.store);

  router.post('/revoke', async (context) => {
    answerOutcome(context, await revokeAction(dependencies, await account(), context.params.grantId ?? ''));
  });
  router.post('/suspend', async (context) => {
    const form = new URLSearchParams();
    answerOutcome(
      context,
      await suspendAction(dependencies, await account(), context.params.grantId ?? '', form),
    );
  });
  router.post('/resume', async (context) => {
    answerOutcome(context, await resumeAction(dependencies, await account(), context.params.grantId ?? ''));
  });

  router.put('/limits', async (context) => {
    const { approval } = await readJson(context, approvalBody);
    const accountId = await account();
    const grantId = context.params.grantId ?? '';
    const grant = await findGrant(dependencies.store, grantId);
    if (!grant || grant.accountId !== accountId) throw notFound('No such grant of the test user.');
    // The limits form comes prefilled with the grant's current allowance in the consent form's
    // field names; the approval is typed over it, as the user would edit the page.
    const shown = overlayFields(new URLSearchParams(), approvalFields(grant.details));
    shown.delete('expires_on');
    answerOutcome(
      context,
      await lowerLimitsAction(
        dependencies,
        accountId,
        grantId,
        overlayFields(shown, approvalFields(approval)),
      ),
    );
  });

  router.put('/addresses', async (context) => {
    const { blocks } = await readJson(context, addressesBody);
    const form = new URLSearchParams({ addresses: blocks.join('\n') });
    answerOutcome(
      context,
      await allowlistAction(dependencies, await account(), context.params.grantId ?? '', form),
    );
  });

  return router;
}
