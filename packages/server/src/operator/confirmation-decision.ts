import { decideConfirmation, findConfirmation } from '@allowance/store';
import Router from '@koa/router';
import { z } from 'zod';
import { readJson } from './json-body.js';
import type { OperatorDependencies } from './operator-dependencies.js';
import { invalidRequest, notFound, OperatorError } from './operator-errors.js';

const decisionBody = z.object({ url: z.string(), decision: z.enum(['approve', 'deny']) });

/**
 * `POST /confirmations`: the test user decides a confirmation (spec §6.10, [MTR-29] … [MTR-33])
 * at the URL the gateway returned, with the store function the confirmation page's buttons
 * use: only a pending, unexpired confirmation of the test user's counts.
 */
export function confirmationDecision(dependencies: OperatorDependencies): Router {
  const router = new Router();
  router.post('/confirmations', async (context) => {
    const { url, decision } = await readJson(context, decisionBody);
    const id = /\/confirmations\/([^/?#]+)$/.exec(URL.canParse(url) ? new URL(url).pathname : '')?.[1];
    if (!id) throw invalidRequest('url: not a confirmation URL of this wallet (…/confirmations/{id}).');
    const accountId = await dependencies.testUser.accountId(dependencies.store);
    const decided = await decideConfirmation(dependencies.store, {
      id: decodeURIComponent(id),
      accountId,
      decision: decision === 'approve' ? 'approved' : 'denied',
      now: dependencies.now(),
    });
    if (!decided) {
      const confirmation = await findConfirmation(dependencies.store, decodeURIComponent(id));
      if (!confirmation || confirmation.accountId !== accountId) throw notFound('No such confirmation.');
      throw new OperatorError(409, 'conflict', 'This confirmation was already decided or has expired.');
    }
    context.status = 204;
  });
  return router;
}
