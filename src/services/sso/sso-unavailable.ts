import { asServiceError, ServiceError } from "../../kernel/errors.ts";

// One wording for "single sign-on cannot work right now", shared by every door a customer uses: the portal's
// "Open control panel" and the signed link's /sso/solusio page. Staff doors (the admin API's POST …/sso, the
// console) keep SolusIO's own words, which are theirs to read.

/** What a customer reads when SolusIO (or anything else outside) fails during single sign-on. */
export const CONTROL_PANEL_UNAVAILABLE =
  "The control panel cannot be reached right now. Try again in a minute.";

/**
 * A failed single sign-on in the customer's words when the failure is an outside system's (SolusIO down or
 * failing, no SolusIO configured, the database unreachable): an UPSTREAM_UNAVAILABLE with a fixed message,
 * whose `cause` is the failure as staff read it ("SolusIO did not issue a login token: POST users/2/tokens:
 * 502 …"), so the log still gets SolusIO's error (logUpstreamFailure appends the cause). Undefined for every
 * other failure (a refusal, a conflict, a bug): those are the caller's to word.
 */
export function ssoUnavailable(error: unknown): ServiceError | undefined {
  const known = asServiceError(error);
  if (known?.code !== "UPSTREAM_UNAVAILABLE") return undefined;
  const forCustomer = ServiceError.unavailable(CONTROL_PANEL_UNAVAILABLE, "customers");
  forCustomer.cause = known;
  return forCustomer;
}
