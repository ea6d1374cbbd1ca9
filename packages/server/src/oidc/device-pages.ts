import type { KoaContextWithOIDC } from 'oidc-provider';
import { html, raw } from '../pages/html.js';
import { layout } from '../pages/layout.js';
import { pageSecurityHeaders } from '../pages/security-headers.js';

// The device flow's own pages (RFC 8628 §3.3). oidc-provider supplies the forms, with their
// CSRF field; these wrap them. After the code is confirmed, the same login and consent
// interaction as the redirect flow runs.

function page(context: KoaContextWithOIDC, title: string, body: ReturnType<typeof html>): void {
  pageSecurityHeaders(context);
  context.type = 'html';
  context.body = layout(title, body);
}

export const deviceFlowPages = {
  async userCodeInputSource(
    context: KoaContextWithOIDC,
    form: string,
    _out: unknown,
    error?: Error & { userCode?: string },
  ) {
    page(
      context,
      'Connect a device',
      html`<section>
<h1>Connect a device</h1>
${error ? html`<p class="error" role="alert">That code is not valid or has expired. Check it and try again.</p>` : ''}
<p>Enter the code your app or terminal shows.</p>
${raw(form)}
<label for="user-code">Code</label>
<input id="user-code" type="text" name="user_code" form="op.deviceInputForm" autocomplete="off" autofocus>
<div class="actions"><button type="submit" form="op.deviceInputForm">Continue</button></div>
</section>`,
    );
  },
  async userCodeConfirmSource(
    context: KoaContextWithOIDC,
    form: string,
    client: { clientName?: string; clientId: string },
    _deviceInfo: unknown,
    userCode: string,
  ) {
    page(
      context,
      'Confirm the code',
      html`<section>
<h1>Is this the code on your device?</h1>
<p class="muted">${client.clientName ?? client.clientId} is asking to connect.</p>
<p><strong id="user-code">${userCode}</strong></p>
${raw(form)}
<div class="actions"><button type="submit" form="op.deviceConfirmForm">Yes, continue</button>
<button type="submit" class="secondary" form="op.deviceConfirmForm" name="abort" value="yes">No, cancel</button></div>
</section>`,
    );
  },
  async successSource(context: KoaContextWithOIDC) {
    page(
      context,
      'Device connected',
      html`<section><h1>Done</h1><p id="device-done">You can return to your app or terminal.</p></section>`,
    );
  },
};
