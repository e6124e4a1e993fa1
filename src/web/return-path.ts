import type { FastifyRequest } from "fastify";
import { assertCleanText, MAX_QUERY_TEXT } from "../kernel/clean-text.ts";
import { FACES, type SessionKind } from "./session-cookie.ts";
import { formFields } from "./web-deps.ts";

// Where a login ends: the page that sent the person to log in (a link from an e-mail, a bookmark, a session
// that ended), carried as `next` through the login form and the two-factor step. Only a page of the same
// face is followed, written as a browser would resolve it on this origin (no other host, no `..` or encoded
// dots, no backslash), so a link cannot use the login to send a person elsewhere.

const BASE = "http://tokenbill.invalid";

/** The address to go to after logging in, or undefined when `value` is not one of this face's pages. */
export function returnPath(kind: SessionKind, value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > MAX_QUERY_TEXT) return undefined;
  const face = FACES[kind].path;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return undefined;
  }
  // Resolved exactly as written: anything a browser would rewrite (dots, backslashes, another host) is refused.
  if (url.origin !== BASE || `${url.pathname}${url.search}` !== value) return undefined;
  if (!url.pathname.startsWith(`${face}/`)) return undefined;
  if (url.pathname.startsWith(`${face}/login`) || url.pathname.startsWith(`${face}/logout`)) return undefined;
  // Text the pages refuse (a control character, bad encoding) would only come back as an error page.
  if (!readable(value)) return undefined;
  return value;
}

/**
 * The page a login (or a step after it) ends on, for `kind`'s face: the form's `next` on a POST, else the
 * address's (the login page as the gate sent it), when it is one of the face's pages (returnPath).
 */
export function requestedReturnPath(kind: SessionKind, request: FastifyRequest): string | undefined {
  const form = request.method === "POST" ? formFields(request)["next"] : undefined;
  return returnPath(kind, form ?? (request.query as Record<string, unknown> | undefined)?.["next"]);
}

/** The login page's address for a page asked for without a session; the home page needs no `next`. */
export function loginFor(kind: SessionKind, asked: string): string {
  return withNext(FACES[kind].login, kind, asked);
}

/**
 * `page` with `?next=` naming `asked` when it is one of the face's pages to return to (returnPath): the login
 * page's, and the change-password page's a generated password sends the person to (session-gate.ts).
 */
export function withNext(page: string, kind: SessionKind, asked: string | undefined): string {
  const next = returnPath(kind, asked);
  const query = next === undefined ? "" : encodeURIComponent(next);
  // The page's own query is held to the pages' text rules: one too long would be refused there.
  return query === "" || query.length > MAX_QUERY_TEXT ? page : `${page}?next=${query}`;
}

function readable(value: string): boolean {
  try {
    assertCleanText(decodeURIComponent(value.replace(/\+/g, " ")), undefined, MAX_QUERY_TEXT);
    return true;
  } catch {
    return false;
  }
}
