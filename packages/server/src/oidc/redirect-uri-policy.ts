const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * What is wrong with a redirect URI under spec AUTH-2, or undefined when it is acceptable:
 * absolute, no fragment, no wildcard, `http` only on a loopback host (RFC 8252 §7.3), and any
 * other scheme only a private-use one named after a domain the app owns (RFC 8252 §7.1, such as
 * `com.example.quill:/callback`), which keeps out `javascript:` and `data:`.
 */
export function redirectUriProblem(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url) return 'is not an absolute URI';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (uri.includes('*')) return 'must not contain a wildcard';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:')
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'may use http only on 127.0.0.1, [::1] or localhost';
  return url.protocol.slice(0, -1).includes('.')
    ? undefined
    : 'must use https, http on a loopback host, or a private-use scheme such as com.example.app:/callback';
}
