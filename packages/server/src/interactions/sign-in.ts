import type { Store } from '@allowance/store';
import type { Context } from 'koa';
import { findAccount, MINIMUM_PASSWORD_LENGTH, signIn, signUp } from '../accounts/accounts.js';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import { endSession, findSession, startSession, type WebSession } from '../accounts/web-sessions.js';
import type { ServerConfig } from '../config.js';
import { bindCsrfToSession } from '../pages/csrf.js';
import type { Form } from '../pages/form-body.js';
import { SESSION_COOKIE } from '../pages/session-cookie.js';

/** The wallet's own browser session, shared by sign-in, consent and the dashboard. */
export interface SessionCookies {
  current(context: Context): Promise<(WebSession & { email: string }) | undefined>;
  start(context: Context, accountId: string): Promise<void>;
  end(context: Context): Promise<void>;
}

/** Session cookies: signed, HttpOnly, SameSite=Lax, Secure when served over HTTPS. */
export function sessionCookies(store: Store, config: ServerConfig, now: () => number): SessionCookies {
  const cookieOptions = (context: Context) =>
    ({ signed: true, httpOnly: true, sameSite: 'lax', path: '/', secure: context.secure }) as const;
  return {
    async current(context) {
      const session = await findSession(store, context.cookies.get(SESSION_COOKIE, { signed: true }), now());
      if (!session) return undefined;
      const account = await findAccount(store, session.accountId);
      return account && { ...session, email: account.email };
    },
    async start(context, accountId) {
      const value = await startSession(store, accountId, now(), config.sessionSeconds);
      context.cookies.set(SESSION_COOKIE, value, {
        ...cookieOptions(context),
        maxAge: config.sessionSeconds * 1000,
      });
      bindCsrfToSession(context, value);
    },
    async end(context) {
      await endSession(store, context.cookies.get(SESSION_COOKIE, { signed: true }));
      context.cookies.set(SESSION_COOKIE, null, cookieOptions(context));
      bindCsrfToSession(context, null);
    },
  };
}

/** The outcome of a sign-in or sign-up form. */
export type Authentication = { ok: true; accountId: string } | { ok: false; status: number; problem: string };

/**
 * Signs a user in, or up, from a submitted form: throttled per account and per address, a
 * session started on success. Messages never say whether an email has an account.
 */
export async function authenticate(
  context: Context,
  dependencies: {
    store: Store;
    config: ServerConfig;
    throttle: LoginThrottle;
    sessions: SessionCookies;
    now: () => number;
  },
  form: Form,
  mode: 'sign-in' | 'sign-up',
): Promise<Authentication> {
  const email = (form.get('email') ?? '').trim();
  const password = form.get('password') ?? '';
  const address = context.ip;
  const wait = dependencies.throttle.retryAfter(email, address);
  if (wait > 0) {
    context.set('Retry-After', String(Math.ceil(wait / 1000)));
    return {
      ok: false,
      status: 429,
      problem: `Too many attempts. Try again in ${Math.ceil(wait / 60_000)} minute(s).`,
    };
  }
  if (mode === 'sign-up') {
    const created = await signUp(dependencies.store, {
      email,
      password,
      currency: dependencies.config.currency,
      timeZone: dependencies.config.timeZone,
      now: dependencies.now(),
    });
    if (!created.ok) {
      // Count refused sign-ups too, so the form cannot be used to probe which emails exist.
      dependencies.throttle.recordFailure(email, address);
      const problems = {
        email_taken: 'That email cannot be used. Sign in instead, or use another email.',
        invalid_email: 'Enter a valid email address.',
        weak_password: `Choose a password of at least ${MINIMUM_PASSWORD_LENGTH} characters.`,
      };
      return { ok: false, status: 400, problem: problems[created.reason] };
    }
    await dependencies.sessions.start(context, created.account.id);
    return { ok: true, accountId: created.account.id };
  }
  const account = await signIn(dependencies.store, email, password);
  if (!account) {
    dependencies.throttle.recordFailure(email, address);
    return { ok: false, status: 401, problem: 'Wrong email or password.' };
  }
  dependencies.throttle.recordSuccess(email);
  await dependencies.sessions.start(context, account.id);
  return { ok: true, accountId: account.id };
}
