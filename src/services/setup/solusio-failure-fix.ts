import { UpstreamError } from "../../kernel/errors.ts";
import { type NoAnswer, solusioErrorIn } from "../../solusio/solusio-error.ts";

// One explanation of a failed SolusIO call, said by doctor and by every command that calls SolusIO: before,
// `billing run` with SolusIO refusing connections printed only "connect ECONNREFUSED", where doctor said
// what to check. Each way a call fails has its own advice: until 2026-12-06 a command added it only when no
// answer came, and then the same sentence for a refused connection, a certificate SolusIO's own CA signed and
// a timeout.

/** Where SOLUSIO_API_TOKEN is set, and how SolusIO makes one (the path WHMCS's SolusIO module documents too). */
const MAKE_TOKEN =
  "make one in SolusIO logged in as a user with the Admin role (Account > API Tokens > Generate API Token) and " +
  "set it as SOLUSIO_API_TOKEN (in tokenbill's environment or its config file, TOKENBILL_CONFIG)";
export const TOKEN_NOT_ACCEPTED = `SOLUSIO_API_TOKEN is not accepted (unknown to SolusIO, expired or revoked): ${MAKE_TOKEN}`;
export const NOT_ADMIN = `SOLUSIO_API_TOKEN's user lacks the Admin role: ${MAKE_TOKEN}`;
export const CHECK_URL =
  "check SOLUSIO_URL (it ends in /api/v1), the network, and SOLUSIO_TLS_INSECURE for self-signed certificates";
export const NOT_THE_API =
  "SolusIO does not know this address: check that SOLUSIO_URL is SolusIO's API, its address with /api/v1 at the " +
  "end (https://solus.example.com/api/v1), not the address of its web pages";

/**
 * What the words before a fix already said of the failure: nothing; SolusIO's status alone ("SolusIO answered
 * N", failureWords below admin); or the call's own message, its status and SolusIO's answer (a command's error
 * line). The fix does not say the status again (until 2026-12-07 a command's line said it twice).
 */
export type FailureSaid = "nothing" | "status" | "answer";

/**
 * What to do about a failed call, by how it failed: the token only when SolusIO refused it (401, 403); a 5xx or
 * a 429 is SolusIO failing or busy, which no setting of tokenbill's fixes; no answer is the address, the
 * certificate or the time allowed. Doctor's fix for each check, and what a command that failed calling
 * SolusIO says to check (src/cli/solusio-refusal.ts).
 */
export function solusioFailureFix(error: unknown, said: FailureSaid = "nothing"): string {
  const statusSaid = said !== "nothing";
  if (!(error instanceof UpstreamError))
    return "tokenbill itself failed here (not SolusIO's answer); see its log and run doctor again";
  const { status } = error;
  const solusio = solusioErrorIn(error);
  if (status === null) return noAnswerFix(solusio?.noAnswer);
  if (status === 401) return TOKEN_NOT_ACCEPTED;
  if (status === 403) return NOT_ADMIN;
  if (status === 429) {
    const wait = solusio?.retryAfterMs;
    const asked = wait === undefined ? "" : ` (it asked for a wait of ${Math.ceil(wait / 1000)} s)`;
    return (
      `${statusSaid ? "" : "SolusIO answered 429: "}SolusIO, or a proxy in front of it, limits how often tokenbill may call${asked}; ` +
      "run the command again later, run fewer tokenbill commands at once, and if it lasts raise that limit for " +
      "tokenbill's address (tokenbill already waits and retries a few times)"
    );
  }
  if (status >= 500)
    return (
      `${statusSaid ? "SolusIO is" : `SolusIO answered ${status}: it is`} failing or busy, which is not a setting of tokenbill's; run the command ` +
      "again in a few minutes, and if it lasts, check SolusIO itself (its services and logs; a 502 or 504 comes " +
      "from a proxy in front of it that could not reach it)"
    );
  if (status === 404) return NOT_THE_API;
  if (status < 400)
    return "SolusIO's answer is not what tokenbill reads (solusio-api.md); check SolusIO's version";
  // Below admin the detail says the status and not SolusIO's answer, which can quote a proxy's page.
  if (said === "status") return "SolusIO refused the request; an admin's doctor shows its answer";
  if (said === "answer") return "SolusIO refused the request; its answer is quoted before this";
  return `SolusIO refused the request with ${status}; its answer is in the detail`;
}

/** The advice for a call that got no answer at all: by why, when the client could tell. */
function noAnswerFix(why: NoAnswer | undefined): string {
  if (why?.kind === "timeout")
    return (
      "SolusIO did not answer within SOLUSIO_TIMEOUT_MS: check that SolusIO is up and not overloaded, and that " +
      "nothing between (a firewall, a proxy) holds the connection; raise SOLUSIO_TIMEOUT_MS if its answers are " +
      "merely slow"
    );
  if (why?.kind === "tls") return tlsFix(why.code);
  if (why?.code === "ENOTFOUND" || why?.code === "EAI_AGAIN")
    return "the host name in SOLUSIO_URL is not found (DNS): check its spelling, and this machine's DNS";
  return CHECK_URL;
}

/** TLS failures: an untrusted certificate, one out of date, one for another name, or no TLS at all. */
function tlsFix(code: string): string {
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID")
    return (
      `SolusIO's TLS certificate is out of date (${code}): renew it on SolusIO, and check that this machine's ` +
      "clock is right"
    );
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return (
      "SolusIO's TLS certificate is not for the host name in SOLUSIO_URL (ERR_TLS_CERT_ALTNAME_INVALID): use " +
      "the name the certificate is issued for in SOLUSIO_URL, or issue one for this name"
    );
  if (code.startsWith("ERR_SSL_") || code === "EPROTO")
    return (
      `no TLS handshake with SOLUSIO_URL's address (${code}): check http:// or https:// and the port in ` +
      "SOLUSIO_URL (an https:// URL pointing at a plain HTTP port fails so)"
    );
  return (
    `SolusIO's TLS certificate is not trusted (${code}): give SolusIO a certificate from a public CA, or ` +
    "trust its own CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem in tokenbill's environment; as a last resort " +
    "SOLUSIO_TLS_INSECURE=true skips verification (anyone on the path could then read SOLUSIO_API_TOKEN)"
  );
}
