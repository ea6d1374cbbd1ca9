import type { Context, Next } from 'koa';

/**
 * Strict headers for every page the wallet renders: a CSP with no inline script or style, no
 * framing (clickjacking a consent button would approve an allowance), no referrer, no sniffing.
 * `formTargets` are extra origins a form may end up at through redirects (a client's callback).
 */
export function pageSecurityHeaders(context: Context, formTargets: readonly string[] = []): void {
  const formAction = ["'self'", ...formTargets].join(' ');
  context.set(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  );
  context.set('X-Frame-Options', 'DENY');
  context.set('X-Content-Type-Options', 'nosniff');
  context.set('Referrer-Policy', 'no-referrer');
  context.set('Cache-Control', 'no-store');
}

/** Koa middleware applying {@link pageSecurityHeaders} to HTML responses of the wallet's own pages. */
export async function securityHeaders(context: Context, next: Next): Promise<void> {
  await next();
  if (context.type === 'text/html' && !context.response.get('Content-Security-Policy'))
    pageSecurityHeaders(context);
}
