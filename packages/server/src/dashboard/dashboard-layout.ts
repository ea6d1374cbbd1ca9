import { html, type SafeHtml } from '../pages/html.js';
import { layout } from '../pages/layout.js';

/** The dashboard's pages, as the navigation names them. */
export type DashboardSection = 'apps' | 'confirmations' | 'spend' | 'activity' | 'settings';

/** What an action tells the user on the page it lands on. */
export interface PageMessage {
  notice?: string | undefined;
  problem?: string | undefined;
  /** Details of the problem, one per line (which limits were raised, which fields are wrong). */
  problemDetails?: readonly string[] | undefined;
}

const SECTIONS: ReadonlyArray<{ section: DashboardSection; href: string; label: string }> = [
  { section: 'apps', href: '/', label: 'Apps and keys' },
  { section: 'confirmations', href: '/confirmations', label: 'Confirmations' },
  { section: 'spend', href: '/spend', label: 'Spend' },
  { section: 'activity', href: '/activity', label: 'Activity' },
  { section: 'settings', href: '/settings', label: 'Settings' },
];

/** The message block: `#notice` for what happened, `#problem` (an alert) for what did not. */
export function messageBlock(message: PageMessage): SafeHtml {
  return html`${message.notice ? html`<p class="note" role="status" id="notice">${message.notice}</p>` : ''}
${
  message.problem
    ? html`<div class="error" role="alert" id="problem"><p>${message.problem}</p>${
        message.problemDetails && message.problemDetails.length > 0
          ? html`<ul>${message.problemDetails.map((detail) => html`<li>${detail}</li>`)}</ul>`
          : ''
      }</div>`
    : ''
}`;
}

/** A whole dashboard page: navigation, message, body, and the sign-out form. */
export function dashboardPage(view: {
  title: string;
  section: DashboardSection;
  email: string;
  csrf: SafeHtml;
  message?: PageMessage;
  body: SafeHtml;
}): string {
  const links = SECTIONS.map(
    (entry) =>
      html`<li><a href="${entry.href}"${entry.section === view.section ? html` aria-current="page"` : ''}>${entry.label}</a></li>`,
  );
  return layout(
    view.title,
    html`<div class="dashboard">
<nav class="dashboard-nav" aria-label="Wallet"><ul>${links}</ul></nav>
${messageBlock(view.message ?? {})}
${view.body}
<form method="post" action="/signout">${view.csrf}<button class="secondary" type="submit">Sign out</button></form>
</div>`,
    { signedInAs: view.email },
  );
}
