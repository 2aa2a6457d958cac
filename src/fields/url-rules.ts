/**
 * Rules for the URLs the worker sends credentials to (OpenRouter base URL, Vault address,
 * Infisical site, AWS endpoint). No Node built-ins: the config schema, which the workflow code
 * imports, applies them as well as the worker policy.
 */

/** A host on this machine: 127.0.0.0/8, ::1 or localhost (after the URL parser normalised it). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function parse(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/**
 * Why credentials may never be sent to `raw`, or undefined when its form is acceptable: http or
 * https only, https unless the host is loopback, no user:pass@, no query or fragment. Messages
 * never repeat the URL (it could hold a password).
 */
export function serviceUrlProblem(raw: string): string | undefined {
  const url = parse(raw);
  if (!url) return 'expected an http(s) URL such as https://host:port';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `expected an https URL; ${url.protocol} URLs are never allowed (credentials are sent there)`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain a user name or password (user:pass@): credentials come from the worker, never from a URL';
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
    return 'must not have a query (?...) or a fragment (#...)';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `http would send credentials in clear text to ${url.host}: use https (plain http only to a loopback host: 127.0.0.0/8, ::1, localhost)`;
  }
  return undefined;
}

/** `raw` for a message: scheme, host and path only (never user:pass@, query or fragment). */
export function displayUrl(raw: string): string {
  const url = parse(raw);
  if (!url) return '(not a URL)';
  return url.host === '' ? `${url.protocol}...` : `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The form base URLs are compared in: lower-case scheme and host, default port dropped, trailing
 * slashes removed (`https://OpenRouter.ai:443/api/v1/` → `https://openrouter.ai/api/v1`).
 */
export function normaliseBaseUrl(raw: string): string {
  const url = parse(raw);
  if (!url) return raw;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** Scheme, host and port (`https://vault.example.com:8200`): where a request goes. */
export function originOf(raw: string): string {
  return parse(raw)?.origin ?? raw;
}
