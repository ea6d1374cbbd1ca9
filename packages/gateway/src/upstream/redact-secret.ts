/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of `secret` in `text`. Applied to everything a failure carries, since
 * a provider or a proxy may echo the key it was sent in an error message.
 */
export function redactSecret(text: string, secret: string): string {
  return secret.length === 0 ? text : text.split(secret).join(REDACTED);
}

/**
 * Redacts `secret` from every string (member names included) of a parsed JSON value. Working on
 * the parsed value keeps it valid JSON whatever the secret looks like.
 */
export function redactJson(value: unknown, secret: string): unknown {
  if (typeof value === 'string') return redactSecret(value, secret);
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secret));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [redactSecret(name, secret), redactJson(item, secret)]),
    );
  }
  return value;
}
