import { findGrant } from '@allowance/store';
import type { Context } from 'koa';
import { csrfField } from '../pages/csrf.js';
import { html } from '../pages/html.js';
import { clientNames } from './client-names.js';
import type { DashboardDependencies } from './dashboard-dependencies.js';
import { dashboardPage } from './dashboard-layout.js';
import type { SignedIn } from './session-guard.js';

/**
 * Revoking is final, so the Revoke button asks once: it leads here, and only the button on this
 * page, which posts `confirm=yes`, revokes. The revoke itself is unchanged, so the app's next
 * call is still refused the moment it is confirmed (spec REV-4).
 */
export async function renderRevokeConfirmation(
  context: Context,
  dependencies: DashboardDependencies,
  session: SignedIn,
  grantId: string,
): Promise<boolean> {
  const grant = await findGrant(dependencies.store, grantId);
  if (!grant || grant.accountId !== session.accountId || grant.status === 'revoked') return false;
  const name = (await clientNames(dependencies.provider, [grant.clientId]))(grant.clientId);
  const csrf = csrfField(context);
  context.type = 'html';
  context.body = dashboardPage({
    title: `Revoke ${name}?`,
    section: 'apps',
    email: session.email,
    csrf,
    body: html`<h1>Revoke ${name}?</h1>
<p>Its next call will be refused, its tokens stop working, and revoking cannot be undone: to use your wallet again, the app must ask you again. To stop it for a while instead, suspend it.</p>
<form method="post" action="/grants/${grant.id}/revoke" id="confirm-revoke">${csrf}<input type="hidden" name="confirm" value="yes">
<div class="actions"><button class="danger" type="submit">Yes, revoke ${name}</button> <a href="/#grant-${grant.id}">Keep it</a></div></form>`,
  });
  return true;
}
