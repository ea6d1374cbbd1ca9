const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML. */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;color:#1d2330}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #d9dde5;padding-bottom:.75rem;margin-bottom:1rem}
textarea{width:100%;min-height:10rem;font:inherit}button{font:inherit;padding:.4rem .9rem;margin-right:.4rem}
pre{white-space:pre-wrap;background:#f6f7fa;border:1px solid #d9dde5;border-radius:6px;padding:.75rem}
form.inline{display:inline}.say-no{background:#fdecea;border:1px solid #f3b4ae;border-radius:6px;padding:.75rem}.muted{color:#5b6475}`;

/** The page around `body`, with the wallet status in the header. */
export function page(status: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blog Assistant</title>
<link rel="stylesheet" href="/style.css"></head><body>
<header><strong>Blog Assistant</strong><span id="wallet-status">${status}</span></header>
${body}`;
}

/** The stylesheet, served as a file so the page needs no inline style. */
export const STYLESHEET = STYLE;

/** The header when no wallet is connected. */
export function disconnectedStatus(): string {
  return `<form method="post" action="/connect"><button id="connect" type="submit">Connect your AI wallet</button></form>`;
}

/** The header with what is left of the allowance. */
export function connectedStatus(remaining: string): string {
  return `<span id="remaining">${escapeHtml(remaining)}</span> <form method="post" action="/disconnect" class="inline"><button type="submit">Disconnect</button></form>`;
}

/** The editor: the post, and what to ask the AI for. */
export function editor(post: string, connected: boolean): string {
  return `<form method="post" action="/generate" id="editor">
<label for="post">Your post</label>
<textarea id="post" name="post">${escapeHtml(post)}</textarea>
<p>${connected ? '' : '<span class="muted">Connect your AI wallet to use the buttons. This app never asks for an API key.</span>'}</p>
<button type="submit" name="task" value="draft" ${connected ? '' : 'disabled'}>Draft from notes</button>
<button type="submit" name="task" value="rewrite" ${connected ? '' : 'disabled'}>Rewrite more clearly</button>
<button type="submit" name="task" value="title" ${connected ? '' : 'disabled'}>Suggest a title</button>
</form>`;
}

/** A clear message when the wallet says no. */
export function walletSaysNo(message: string): string {
  return `<div class="say-no" role="alert" id="wallet-message"><strong>Your AI wallet said no.</strong> ${escapeHtml(message)}</div>`;
}
