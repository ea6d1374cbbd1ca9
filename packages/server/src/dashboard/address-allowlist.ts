import { parseAddressBlocks } from '@allowance/protocol';
import { setGrantAllowlist } from '@allowance/store';
import type { Form } from '../pages/form-body.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { ActionOutcome, GrantActionDependencies } from './grant-actions.js';

/**
 * `POST /grants/:id/addresses`: the addresses a server-side app may call from (CIDR blocks,
 * IPv4 and IPv6, one per line; empty allows any). A leaked token is then useless elsewhere.
 */
export async function allowlistAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
  form: Form,
): Promise<ActionOutcome> {
  const parsed = parseAddressBlocks((form.get('addresses') ?? '').split(/[\n,]/));
  if (!parsed.ok) {
    return {
      ok: false,
      status: 400,
      problem: `"${parsed.invalid}" is not an address or a CIDR block such as 203.0.113.0/24.`,
    };
  }
  const saved = await setGrantAllowlist(
    dependencies.store,
    grantId,
    accountId,
    parsed.blocks,
    dependencies.now(),
  );
  if (!saved) return { ok: false, status: 404, problem: 'No such live app.' };
  return {
    ok: true,
    notice:
      parsed.blocks.length === 0
        ? 'The app may call from any address.'
        : `The app may now call only from ${parsed.blocks.join(', ')}.`,
  };
}

/** The allowlist form on a grant's card. */
export function allowlistForm(grantId: string, blocks: readonly string[], csrf: SafeHtml): SafeHtml {
  return html`<form method="post" action="/grants/${grantId}/addresses" class="addresses">${csrf}
<label for="addresses-${grantId}">Allowed addresses, one CIDR block per line (empty: any). For apps that run on your servers.</label>
<textarea id="addresses-${grantId}" name="addresses" rows="3">${blocks.join('\n')}</textarea>
<div class="actions"><button type="submit">Save addresses</button></div></form>`;
}
