/** Characters RFC 3986 allows in a URI (unreserved, reserved and `%`). */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/** An absolute http or https URI whose authority is a non-empty host and port, without userinfo. */
const HTTP_URI_START = /^https?:\/\/[^/?#@]+(?:[/?#]|$)/i;

/** Unreserved characters (RFC 3986 §2.3), which percent-encoding must not change. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The form in which a DPoP proof's `htu` and the request URL are compared (RFC 9449 §4.3 step 9,
 * spec [DPOP-11]): `scheme://authority/path` with the query and fragment removed, after the
 * syntax- and scheme-based normalization of RFC 3986 §6.2.2 and §6.2.3 that RFC 9449 asks for:
 * scheme and host lowercased, the default port removed, an empty path made `/`, dot segments
 * removed, percent-encoded unreserved characters decoded and other percent-encodings uppercased.
 * Returns `undefined` for anything that is not an absolute http(s) URI with a host and no
 * userinfo.
 *
 * `strict` is for the proof's `htu`, which must be a URI (RFC 3986 characters, `//` authority);
 * the request URL, which the gateway builds, is only parsed.
 */
export function comparableHttpUri(value: string, strict: boolean): string | undefined {
  if (strict && !(URI_CHARACTERS.test(value) && HTTP_URI_START.test(value))) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  // RFC 9110 §4.2.4: userinfo in an http(s) URI is deprecated; a request target never has one.
  if (url.host === '' || url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

/** RFC 3986 §6.2.2.1 and §6.2.2.2: uppercase hex digits, decode unreserved characters. */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_encoded, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}
