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
  return masked(url, false);
}

/**
 * A webhook endpoint as the start log and `tokenbill config` print it: masked as maskUrl does, and every path
 * segment too. A receiver's URL is its credential, its secret in a segment of the length and letters it
 * chose (a Zapier catch hook's `/hooks/catch/{account_id}/{hook_id}/`, each a few characters and the id
 * possibly all letters, so no rule tells it from a name); deliveries log the origin alone
 * (src/delivery/invoice-jobs.ts), and the host tells endpoints apart.
 */
export function maskWebhookUrl(url: string): string {
  return masked(url, true);
}

function masked(url: string, wholePath: boolean): string {
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
  const secret = (s: string, i: number) =>
    isTokenLike(s) || (s !== "" && (wholePath || NAMES_A_TOKEN.test(segments[i - 1] ?? "")));
  if (segments.some(secret)) {
    u.pathname = segments.map((s, i) => (secret(s, i) ? MASK : s)).join("/");
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
 * Below this a segment with a digit is taken for an id, not a secret. The URLs tokenbill logs carry their
 * secrets elsewhere or longer: SolusIO's API token and Stripe's keys travel in headers, Stripe's paths hold
 * ids (`pi_…`, `cus_…`), tokenbill's own links put their tokens (43 characters) and signatures in the query,
 * and a setting's password is its user-info's. SolusIO's single sign-on token rides in the user area's path
 * (`/auth/by_token/{token}`; the emulator's is 64 characters, SolusIO's length is not documented): the segment
 * after one that names a token is masked whatever its length (NAMES_A_TOKEN). A webhook receiver's path is
 * the exception, as short as its owner chose: maskWebhookUrl masks all of it. A lower bound here
 * would mask the ids that tell the SolusIO calls of a log apart (`users/123456`) and hide no known secret.
 */
const MIN_TOKEN_LENGTH = 16;

/** A path segment after which the next one is a credential: `/auth/by_token/{t}`, IFTTT's `/with/key/{k}`. */
const NAMES_A_TOKEN = /^(?:by_token|token|tokens|key|secret)$/i;

/**
 * A path segment that looks like a credential rather than a name: MIN_TOKEN_LENGTH characters or more with a
 * digit or with both cases (random tokens, hex, UUIDs), or 40 and more of anything. "invoice-notifications" stays.
 */
function isTokenLike(segment: string): boolean {
  if (segment.length >= 40) return true;
  if (segment.length < MIN_TOKEN_LENGTH) return false;
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
