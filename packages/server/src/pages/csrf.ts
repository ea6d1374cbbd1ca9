import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { html, type SafeHtml } from './html.js';

const COOKIE = 'allowance.csrf';

/**
 * The CSRF token for this browser: a random value in a signed, HttpOnly, SameSite=Lax cookie,
 * repeated in every form (double submit). A cross-site page can neither read the cookie nor
 * forge its signature, so it cannot produce a matching form.
 */
export function csrfToken(context: Context): string {
  let token = context.cookies.get(COOKIE, { signed: true });
  if (!token) {
    token = randomBytes(24).toString('base64url');
    context.cookies.set(COOKIE, token, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: context.secure,
    });
  }
  return token;
}

/** The hidden input carrying the token. */
export function csrfField(context: Context): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrfToken(context)}">`;
}

/** Whether a submitted form carries this browser's token. */
export function csrfValid(context: Context, submitted: unknown): boolean {
  const expected = context.cookies.get(COOKIE, { signed: true });
  if (!expected || typeof submitted !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
