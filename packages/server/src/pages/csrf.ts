import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { html, type SafeHtml } from './html.js';
import { SESSION_COOKIE } from './session-cookie.js';

const COOKIE = 'allowance.csrf';

/** The browser's CSRF secret: a random value in a signed, HttpOnly, SameSite=Lax cookie. */
function browserSecret(context: Context): string {
  let secret = context.cookies.get(COOKIE, { signed: true });
  if (!secret) {
    secret = randomBytes(24).toString('base64url');
    context.cookies.set(COOKIE, secret, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: context.secure,
    });
  }
  return secret;
}

/** The wallet session this request belongs to: one started or ended by it, else its cookie. */
function sessionOf(context: Context): string {
  const state = context.state as { csrfSession?: string | null };
  const session =
    'csrfSession' in state ? state.csrfSession : context.cookies.get(SESSION_COOKIE, { signed: true });
  return session ?? '';
}

/**
 * The CSRF token for this browser and its wallet session (spec SEC-9): an HMAC of the session
 * under the browser's secret cookie, repeated in every form. A cross-site page can read neither,
 * so it cannot produce a matching form; and a token from before a sign-in or a sign-out (for
 * example one planted in a form before the user signed in) is worthless after it.
 */
export function csrfToken(context: Context): string {
  return createHmac('sha256', browserSecret(context))
    .update(`csrf|${sessionOf(context)}`)
    .digest('base64url');
}

/** Tells the CSRF tokens of the rest of this request that it started (or, with null, ended) a session. */
export function bindCsrfToSession(context: Context, session: string | null): void {
  (context.state as { csrfSession?: string | null }).csrfSession = session;
}

/** The hidden input carrying the token. */
export function csrfField(context: Context): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrfToken(context)}">`;
}

/** Whether a submitted form carries the token of this browser and session. */
export function csrfValid(context: Context, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || !context.cookies.get(COOKIE, { signed: true })) return false;
  const a = Buffer.from(csrfToken(context));
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
