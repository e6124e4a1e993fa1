import { ServiceError, UpstreamError } from "../kernel/errors.ts";

// SolusIO refusing tokenbill's token is a setting to fix, not an outage: a command said "SolusIO: GET settings:
// 401 Unauthenticated." with exit code 6 (upstream unavailable), where doctor names SOLUSIO_API_TOKEN. Only
// commands: to an admin API client a 401 would say that the client's own key is wrong, so HTTP keeps its 503.

/** A SolusIO 401 or 403 as an unauthorized refusal (exit code 5) naming the setting; anything else as it was. */
export function inSolusioTokenTerms(error: unknown): unknown {
  if (!(error instanceof UpstreamError && error.upstream === "SolusIO")) return error;
  if (error.status === 401)
    return new ServiceError(
      "UNAUTHORIZED",
      `SolusIO: ${error.message}: SOLUSIO_API_TOKEN is not accepted: create an API token for an admin user in SolusIO`,
    );
  if (error.status === 403)
    return new ServiceError(
      "FORBIDDEN",
      `SolusIO: ${error.message}: SOLUSIO_API_TOKEN may not do this: use an API token of a SolusIO user with the Admin role`,
    );
  return error;
}
