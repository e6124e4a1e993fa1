import { maskUrlsIn } from "../../config.ts";
import type { ApiKeyRole, StaffRole } from "../../db/schema.ts";
import { type ServiceError, UpstreamError } from "../../kernel/errors.ts";
import { ADMIN_ROLES, roleMay } from "../staff/staff-roles.ts";
import { failureWords } from "./failure-words.ts";

// The words an outside system's failure (UPSTREAM_UNAVAILABLE: SolusIO, a payment provider, the database) is
// told in, by reader, wherever it is told: the console's and the portal's error page, the admin API's answer
// (docs/security.md). Its message can name where the system is (a refused connection's host and port, a URL
// with its credentials, a proxy's answer), as the doctor's lines can (failureWords).

/** Where the words are read: a page of the console, of the portal, or an admin API answer (or a kept one). */
export type UpstreamFace = "console" | "portal" | "api";

/**
 * Who reads: a staff user's or an API key's role ("admin" for those with full authority, as
 * TOKENBILL_ADMIN_API_KEY), or undefined when none was read (no session or key could be, the database being
 * out of reach; an answer kept for a reader whose role may change): undefined reads as below admin.
 */
export type UpstreamReader = StaffRole | ApiKeyRole | undefined;

const LATER = "Try again in a few minutes; if it keeps happening, an admin can read why on this page.";
// An API client's words are the API's clauses, not a page's sentences; every 503 the API answers is logged
// with its cause (logUpstreamFailure), and a kept answer may be sent again to a reader who is no admin.
const LATER_API =
  "try again in a few minutes; if it keeps happening, an admin can read why in tokenbill's log";
const PORTAL = "This page is unavailable for a moment. Try again in a few seconds.";

export function upstreamWords(
  role: UpstreamReader,
  error: unknown,
  known: ServiceError,
  face: UpstreamFace,
): string {
  // Words a verb wrote for its readers (ServiceError.unavailable), and the database's failures (tokenbill's own
  // words, database-outage.ts), are shown whole: they name no system's place. A customer reads only those written for customers; staff and keys those written for either.
  if (face === "portal") return known.wordedFor === "customers" ? known.message : PORTAL;
  if (known.wordedFor) return known.message;
  // As `tokenbill config` shows URLs: an admin needs the host to act, never a password or a token.
  if (role && roleMay(role, ADMIN_ROLES)) return maskUrlsIn(known.message);
  // A verb's own words around an outside system's can quote it; only how the call failed is safe to say.
  const how =
    error instanceof UpstreamError ? failureWords(error, false) : "a system tokenbill relies on failed";
  if (face === "api") return `${how}; ${LATER_API}`;
  return `This could not be done: ${how}. ${LATER}`;
}
