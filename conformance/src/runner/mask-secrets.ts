/**
 * Evidence is published (CI logs, attached reports), so every credential in it is masked: a
 * masked value keeps a short prefix and its length, enough to tell two tokens apart in a report,
 * never enough to use one.
 */

const SECRET_HEADERS = new Set([
  'authorization',
  'dpop',
  'cookie',
  'set-cookie',
  'x-api-key',
  'dpop-nonce',
  'allowance-confirmation',
]);

const SECRET_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'device_code',
  'password',
  'apiKey',
  'api_key',
  'token',
  'request_uri',
  'csrf',
  '_csrf',
];

/** Masks one secret value. */
export function maskValue(value: string): string {
  if (value.length <= 8) return '***';
  return `${value.slice(0, 6)}…[${value.length} chars masked]`;
}

/** Extra literal secrets (the simulated provider keys, the test user's password) to mask anywhere. */
const extraSecrets = new Set<string>();

/** Registers a literal value to be masked wherever it appears in evidence. */
export function registerSecret(value: string): void {
  if (value.length >= 6) extraSecrets.add(value);
}

/** Masks a header map (values of credential-bearing headers). */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!SECRET_HEADERS.has(lower)) {
      masked[lower] = maskText(value);
      continue;
    }
    // Keep the scheme of an Authorization header: whether Bearer or DPoP was used is evidence.
    const scheme = /^(Bearer|DPoP|Basic)\s+/i.exec(value)?.[0] ?? '';
    masked[lower] = `${scheme}${maskValue(value.slice(scheme.length))}`;
  }
  return masked;
}

/** Masks JWTs, known secret fields in JSON and form bodies, and registered literals in any text. */
export function maskText(text: string): string {
  let masked = text.replace(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, (jwt) => maskValue(jwt));
  for (const field of SECRET_FIELDS) {
    // In JSON, "code" is a gateway error code, never an authorization code: leave it readable.
    if (field !== 'code') {
      masked = masked.replace(
        new RegExp(`("${field}"\\s*:\\s*")([^"]+)(")`, 'g'),
        (_all, start, value, end) => {
          return `${start}${maskValue(value)}${end}`;
        },
      );
    }
    masked = masked.replace(new RegExp(`(^|[?&])(${field}=)([^&\\s"]+)`, 'g'), (_all, start, name, value) => {
      return `${start}${name}${maskValue(value)}`;
    });
  }
  for (const secret of extraSecrets) masked = masked.split(secret).join(maskValue(secret));
  return masked;
}
