import { html, type SafeHtml } from '../pages/html.js';
import { layout } from '../pages/layout.js';

/**
 * Sign-in and sign-up. Inside an authorization the app is named, so the user knows why they are
 * asked; `actionPrefix` is `/interaction/<uid>` there and empty on the wallet's own pages.
 */
export function loginPage(view: {
  actionPrefix: string;
  csrf: SafeHtml;
  clientName?: string | undefined;
  email?: string;
  problem?: string | undefined;
}): string {
  return layout(
    'Sign in',
    html`<section>
<h1>Sign in to your wallet</h1>
${view.clientName ? html`<p class="muted"><span id="client-name">${view.clientName}</span> is asking for an allowance. Sign in to see what it wants.</p>` : ''}
${view.problem ? html`<p class="error" role="alert" id="problem">${view.problem}</p>` : ''}
<form method="post" action="${view.actionPrefix}/login">
${view.csrf}
<label for="email">Email</label><input id="email" type="email" name="email" value="${view.email ?? ''}" autocomplete="username" required>
<label for="password">Password</label><input id="password" type="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit" id="sign-in">Sign in</button></div>
</form>
</section>
<section>
<h2>New here?</h2>
<form method="post" action="${view.actionPrefix}/signup">
${view.csrf}
<label for="new-email">Email</label><input id="new-email" type="email" name="email" autocomplete="username" required>
<label for="new-password">Password (10 characters or more)</label><input id="new-password" type="password" name="password" autocomplete="new-password" minlength="10" required>
<div class="actions"><button type="submit" class="secondary" id="sign-up">Create a wallet</button></div>
</form>
</section>`,
  );
}
