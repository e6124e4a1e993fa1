import type { FastifyRequest } from "fastify";
import { maskUrlsIn } from "../config.ts";
import { type ServiceError, UpstreamError } from "../kernel/errors.ts";
import { failureWords } from "../services/setup/failure-words.ts";
import { ADMIN_ROLES, roleMay } from "../services/staff/staff-roles.ts";

// The error page's words for an outside system's failure (SolusIO, a payment provider, the database), by
// reader, as the doctor, the dashboard and the SolusIO page word them (failureWords, docs/security.md): its
// message can name where the system is (a refused connection's host and port, a URL with its credentials,
// a proxy's answer). Until 2026-12-07 every staff role read it whole here, on any page.

const LATER = "Try again in a few minutes; if it keeps happening, an admin can read why on this page.";
// With the database out of reach no session is read, an admin's neither: the log is where they read why.
const LATER_DATABASE =
  "Try again in a few minutes; if it keeps happening, an admin can read why in tokenbill's log.";

export function upstreamPageWords(
  request: FastifyRequest,
  error: unknown,
  known: ServiceError,
  face: "console" | "portal",
): string {
  // Words a verb wrote for its readers (ServiceError.unavailable) are shown whole: they name no system's
  // place. A customer reads only those written for customers; staff those written for either.
  if (face === "portal")
    return known.wordedFor === "customers"
      ? known.message
      : "This page is unavailable for a moment. Try again in a few seconds.";
  if (known.wordedFor) return known.message;
  const role = request.webSession?.staffRole;
  // As `tokenbill config` shows URLs: an admin needs the host to act, never a password or a token.
  if (role && roleMay(role, ADMIN_ROLES)) return maskUrlsIn(known.message);
  // A verb's own words around an outside system's can quote it; only how the call failed is safe to say.
  if (error instanceof UpstreamError)
    return `This could not be done: ${failureWords(error, false)}. ${error.upstream === "the database" ? LATER_DATABASE : LATER}`;
  return `This could not be done: a system tokenbill relies on failed. ${LATER}`;
}
