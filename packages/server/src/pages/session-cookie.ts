/** The wallet's own browser session cookie (signed, HttpOnly, SameSite=Lax). */
export const SESSION_COOKIE = 'allowance.session';
