import { setGrantRequireDpop } from '@allowance/store';
import type { Form } from '../pages/form-body.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { ActionOutcome, GrantActionDependencies } from './grant-actions.js';

/**
 * `POST /grants/:id/dpop`: whether the app's tokens must be bound to a key it holds (DPoP, spec
 * DPOP-3). Turned on, the gateway refuses the app's unbound tokens at once and the token
 * endpoint refuses to refresh without a proof; an app that cannot do DPoP then stops working.
 */
export async function dpopRequirementAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
  form: Form,
): Promise<ActionOutcome> {
  const required = form.get('require_dpop') === 'yes';
  const saved = await setGrantRequireDpop(
    dependencies.store,
    grantId,
    accountId,
    required,
    dependencies.now(),
  );
  if (!saved) return { ok: false, status: 404, problem: 'No such live app.' };
  return {
    ok: true,
    notice: required
      ? 'The app must now prove it holds its key (DPoP) with every call; a stolen token alone is refused.'
      : 'The app may use tokens without DPoP again, unless it registered for DPoP itself.',
  };
}

/** The DPoP switch on a grant's card. */
export function dpopRequirementForm(grantId: string, required: boolean, csrf: SafeHtml): SafeHtml {
  return html`<form method="post" action="/grants/${grantId}/dpop" class="dpop">${csrf}
<label><input type="checkbox" name="require_dpop" value="yes"${required ? ' checked' : ''}> Only accept tokens bound to a key the app holds (DPoP)</label>
<p class="muted">A stolen token is then useless on its own. Choose this only for apps that support DPoP.</p>
<div class="actions"><button type="submit">Save</button></div></form>`;
}
