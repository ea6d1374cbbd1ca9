import { html, type SafeHtml } from './html.js';

/** A whole page around `body`. Styles come from /assets/wallet.css so the CSP needs no inline style. */
export function layout(
  title: string,
  body: SafeHtml,
  options: { signedInAs?: string | undefined } = {},
): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Allowance</title>
<link rel="stylesheet" href="/assets/wallet.css">
</head>
<body>
<header class="top"><a class="brand" href="/">Allowance</a>${
    options.signedInAs ? html`<span class="who">${options.signedInAs}</span>` : ''
  }</header>
<main>
${body}
</main>
</body>
</html>
`.value;
}

/** The wallet's stylesheet: plain, readable, accessible contrast. */
export const WALLET_CSS = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --accent: #2853c9; --bad: #b3261e; --ok: #1e7b34; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7fa; }
.top { display: flex; justify-content: space-between; padding: .75rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; color: var(--ink); text-decoration: none; }
.who { color: var(--muted); }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
section, form.card, .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
label { display: block; margin: .5rem 0; }
input[type=email], input[type=password], input[type=text], input[type=number], input[type=date], select {
  font: inherit; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 4px; min-width: 12rem; }
button { font: inherit; padding: .5rem 1.1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { border-color: var(--bad); background: var(--bad); }
.actions { display: flex; gap: .75rem; margin-top: 1rem; }
.muted { color: var(--muted); }
.error { color: var(--bad); font-weight: 600; }
.note { background: #fff8e1; border: 1px solid #f0d58a; border-radius: 6px; padding: .5rem .75rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: .75rem 0; }
legend { font-weight: 600; padding: 0 .25rem; }
.app { display: flex; gap: 1rem; align-items: center; }
.app img { width: 48px; height: 48px; border-radius: 8px; }
:focus-visible { outline: 3px solid #9db6f5; outline-offset: 2px; }
`;
