import { ServiceError, UpstreamError } from "../kernel/errors.ts";
import { solusioFailureFix } from "../services/setup/solusio-failure-fix.ts";

// A failed SolusIO call, said with what to check, in doctor's words (solusio-failure-fix.ts): a command said
// "SolusIO: GET users: connect ECONNREFUSED …" alone, where doctor names SOLUSIO_URL. Until 2026-12-06 only a
// call with no answer got the advice: a 404, a 429 or a 5xx was SolusIO's answer alone. SolusIO refusing
// tokenbill's token is a setting to fix, not an outage: exit 5, not 6. Only commands: to an admin API client
// a 401 would say that the client's own key is wrong, so HTTP keeps its 503.

/**
 * A SolusIO 401 or 403 as an unauthorized refusal (exit code 5) naming the setting; any other failed call
 * (no answer, a timeout, a certificate, a 404, a 429, a 5xx…) as upstream unavailable (6) saying what to check.
 */
export function inSolusioTokenTerms(error: unknown): unknown {
  if (!(error instanceof UpstreamError && error.upstream === "SolusIO")) return error;
  // The message names the call, SolusIO's status and its answer: the advice after it says the status no more.
  const said = `SolusIO: ${error.message}: ${solusioFailureFix(error, "answer")}`;
  if (error.status === 401) return new ServiceError("UNAUTHORIZED", said);
  if (error.status === 403) return new ServiceError("FORBIDDEN", said);
  return new ServiceError("UPSTREAM_UNAVAILABLE", said);
}
