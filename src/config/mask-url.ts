// A URL made fit for a log or a terminal: what may be a credential in it is masked.

const MASK = "********";

/**
 * A URL fit for a log or a terminal: the password of its user-info (and a token-like user name), every
 * query value, the fragment and every token-like path segment become ******** (webhook URLs carry their
 * secret in the path, as https://hooks.example/T0/B1/abcdef123456secret, or in the query, as ?token=…).
 * A relative URL (a request's "/path?query") is masked the same way; anything unparsable is masked whole.
 * A URL with nothing to mask comes back unchanged.
 */
export function maskUrl(url: string): string {
  const relative = url.startsWith("/") && !url.startsWith("//");
  let u: URL;
  try {
    u = relative ? new URL(url, "http://relative.invalid") : new URL(url);
  } catch {
    return MASK;
  }
  let changed = false;
  if (isTokenLike(u.username)) {
    u.username = MASK; // a token given as the user name, as some services take it
    changed = true;
  }
  if (u.password) {
    u.password = MASK;
    changed = true;
  }
  const segments = u.pathname.split("/");
  if (segments.some(isTokenLike)) {
    u.pathname = segments.map((s) => (isTokenLike(s) ? MASK : s)).join("/");
    changed = true;
  }
  if (u.search) {
    const masked = new URLSearchParams();
    for (const [name, value] of u.searchParams) masked.append(name, value === "" ? "" : MASK);
    u.search = masked.toString();
    changed = true;
  }
  if (u.hash) {
    u.hash = MASK;
    changed = true;
  }
  if (!changed) return url;
  return relative ? u.pathname + u.search + u.hash : u.toString();
}

/**
 * A path segment that looks like a credential rather than a name: 16 characters or more with a digit or
 * with both cases (random tokens, hex, UUIDs), or 40 and more of anything. "invoice-notifications" stays.
 */
function isTokenLike(segment: string): boolean {
  if (segment.length >= 40) return true;
  if (segment.length < 16) return false;
  return /\d/.test(segment) || (/[a-z]/.test(segment) && /[A-Z]/.test(segment));
}

/** A URL inside a text ("could not reach https://…"); a file:// URL of a stack frame is left as it is. */
const URL_IN_TEXT = /\b(?!file:)[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * `text` with every URL quoted in it masked (maskUrl: its password, query values, fragment and token-like path
 * segments): an error message or a log message names the address it failed on, credentials and all.
 */
export function maskUrlsIn(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_IN_TEXT, (url) => maskUrl(url));
}
