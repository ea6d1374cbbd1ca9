import type { KoaContextWithOIDC } from 'oidc-provider';
import { html } from '../pages/html.js';
import { layout } from '../pages/layout.js';
import { pageSecurityHeaders } from '../pages/security-headers.js';

/**
 * The page shown when an authorization error cannot be sent back to the app (unknown client,
 * redirect URI mismatch, reused request URI). Everything is escaped: descriptions can echo
 * client-supplied values.
 */
export async function renderProviderError(
  context: KoaContextWithOIDC,
  out: { error?: string; error_description?: string },
): Promise<void> {
  pageSecurityHeaders(context);
  context.type = 'html';
  context.body = layout(
    'This request cannot continue',
    html`<section>
<h1>This request cannot continue</h1>
<p class="error" id="error">${out.error ?? 'error'}</p>
<p id="error-description">${out.error_description ?? ''}</p>
<p class="muted">The app that sent you here made a request the wallet will not accept. Nothing was granted. You can close this page and tell the app's developer what it says.</p>
</section>`,
  );
}
