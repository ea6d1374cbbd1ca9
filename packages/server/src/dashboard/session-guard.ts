import type { Context } from 'koa';
import type { SessionCookies } from '../interactions/sign-in.js';
import { csrfValid } from '../pages/csrf.js';
import { type Form, readForm } from '../pages/form-body.js';

/** The signed-in user of a dashboard request. */
export type SignedIn = NonNullable<Awaited<ReturnType<SessionCookies['current']>>>;

/** The signed-in user for a page, or `undefined` after redirecting the browser to sign in. */
export async function pageSession(context: Context, sessions: SessionCookies): Promise<SignedIn | undefined> {
  const session = await sessions.current(context);
  if (!session) context.redirect('/signin');
  return session;
}

/**
 * The signed-in user and the submitted form of a state-changing POST, or `undefined` after
 * answering 401 (no live session) or 403 (no valid CSRF token; spec SEC-9). Nothing may change
 * before this has returned a user.
 */
export async function formSession(
  context: Context,
  sessions: SessionCookies,
): Promise<{ session: SignedIn; form: Form } | undefined> {
  const session = await sessions.current(context);
  const form = await readForm(context);
  if (!session) {
    context.status = 401;
    context.body = 'Sign in first.';
    return undefined;
  }
  if (!csrfValid(context, form.get('csrf'))) {
    context.status = 403;
    context.body = 'This form expired or did not come from this wallet. Go back, reload and try again.';
    return undefined;
  }
  return { session, form };
}
