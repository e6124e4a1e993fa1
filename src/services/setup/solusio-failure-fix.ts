import { UpstreamError } from "../../kernel/errors.ts";

// One explanation of a failed SolusIO call, said by doctor and by every command that calls SolusIO: before,
// `billing run` with SolusIO refusing connections printed only "connect ECONNREFUSED", where doctor said
// what to check.

export const TOKEN_NOT_ACCEPTED =
  "SOLUSIO_API_TOKEN is not accepted: create an API token for an admin user in SolusIO";
export const NOT_ADMIN = "use an API token of a SolusIO user with the Admin role";
export const CHECK_URL =
  "check SOLUSIO_URL (it ends in /api/v1), the network, and SOLUSIO_TLS_INSECURE for self-signed certificates";

/**
 * What to do about a failed call, by how it failed: the token only when SolusIO refused it (401, 403); a 5xx or
 * a 429 is SolusIO failing or busy, which no setting of tokenbill's fixes. Doctor's fix for each check, and
 * what a command that failed calling SolusIO says to check (src/cli/solusio-refusal.ts).
 */
export function solusioFailureFix(error: unknown): string {
  if (!(error instanceof UpstreamError))
    return "tokenbill itself failed here (not SolusIO's answer); see its log and run doctor again";
  const { status } = error;
  if (status === null) return CHECK_URL;
  if (status === 401) return TOKEN_NOT_ACCEPTED;
  if (status === 403) return NOT_ADMIN;
  if (status === 429 || status >= 500)
    return (
      `SolusIO answered ${status}: it is failing or busy, which is not a setting of tokenbill's; run doctor ` +
      "again in a few minutes, and if it lasts, check SolusIO itself (its services and logs, and any proxy in front of it)"
    );
  if (status === 404)
    return "SolusIO does not know this address: check that SOLUSIO_URL is SolusIO's API and ends in /api/v1";
  if (status < 400)
    return "SolusIO's answer is not what tokenbill reads (solusio-api.md); check SolusIO's version";
  return `SolusIO refused the request with ${status}; its answer is in the detail`;
}
