import { ServiceError, UpstreamError } from "../kernel/errors.ts";
import { solusioFailureFix } from "../services/setup/solusio-failure-fix.ts";

// A failed SolusIO call, said with what to check, in doctor's words (solusio-failure-fix.ts): a command said
// "SolusIO: GET users: connect ECONNREFUSED …" alone, where doctor names SOLUSIO_URL. SolusIO refusing
// tokenbill's token is a setting to fix, not an outage: exit 5, not 6. Only commands: to an admin API client
// a 401 would say that the client's own key is wrong, so HTTP keeps its 503.

/**
 * A SolusIO 401 or 403 as an unauthorized refusal (exit code 5) naming the setting; no answer at all (refused,
 * unresolved, timed out) as upstream unavailable (6) saying what to check; anything else as it was.
 */
export function inSolusioTokenTerms(error: unknown): unknown {
  if (!(error instanceof UpstreamError && error.upstream === "SolusIO")) return error;
  const said = `SolusIO: ${error.message}: ${solusioFailureFix(error)}`;
  if (error.status === 401) return new ServiceError("UNAUTHORIZED", said);
  if (error.status === 403)
    return new ServiceError(
      "FORBIDDEN",
      `SolusIO: ${error.message}: SOLUSIO_API_TOKEN may not do this: ${solusioFailureFix(error)}`,
    );
  if (error.status === null) return new ServiceError("UPSTREAM_UNAVAILABLE", said);
  return error;
}
