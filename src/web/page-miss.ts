import type { FastifyReply, FastifyRequest } from "fastify";
import type { RouteMiss } from "../http/protection.ts";
import { renderPage } from "./render.ts";

// An address under /console or /portal that no page answers, as a page rather than the admin API's JSON: a
// mistyped or stale link (404), or the address a form was sent to, opened again in a new tab, from history
// or after the session ended (405: the browser's address bar shows it after a form's error). Either links
// to the nearest page above the address, which for a form's address is the page the form is on.

const FACE = /^\/(console|portal)(?:\/|$)/;

export function answerPageMiss(
  request: FastifyRequest,
  reply: FastifyReply,
  miss: RouteMiss,
): FastifyReply | undefined {
  // Only what a browser opens: a form sent to the wrong address is the page's own fault, in the envelope.
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const path = request.url.split("?")[0] ?? "";
  const face = FACE.exec(path)?.[1] as "console" | "portal" | undefined;
  if (face === undefined) return undefined;
  const formOnly = miss.allowed.length > 0;
  if (formOnly) reply.header("allow", miss.allowed.join(", "));
  return renderPage(
    reply,
    "message",
    {
      face,
      title: "Not found",
      heading: formOnly ? "Not a page" : "Page not found",
      message: formOnly
        ? "This address only receives a form; it cannot be opened as a page, and nothing was sent or changed."
        : "There is no page at this address. The link may be mistyped or out of date.",
      back: { href: nearestPage(path, face, miss), text: "Back" },
      csrf: "",
    },
    formOnly ? 405 : 404,
  );
}

/**
 * An address under /console or /portal that the router cannot read, opened in a browser: bad
 * percent-encoding (400) or a path segment longer than the router takes (414). A page that names nothing of
 * the address (pages echo nothing from the URL: docs/security.md), where the router's own message quoted it
 * in the API's envelope. A form sent to such an address stays in the envelope, as answerPageMiss has it.
 */
export function answerPageAddressError(
  error: { statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const face = FACE.exec(request.url)?.[1] as "console" | "portal" | undefined;
  if (face === undefined) return undefined;
  const status = error.statusCode === 414 ? 414 : 400;
  // Titled by what is wrong with the address, as its status says: it was "Page not found" (until 2026-12-06).
  const heading = status === 414 ? "Address too long" : "Damaged address";
  return renderPage(
    reply,
    "message",
    {
      face,
      title: heading,
      heading,
      message:
        "This address is damaged or too long: it cannot be read as the address of a page. The link may be mistyped or cut.",
      back: { href: `/${face}`, text: "Back" },
      csrf: "",
    },
    status,
  );
}

/** The longest leading part of the path that a page answers; at worst the face's home page. */
function nearestPage(path: string, face: string, miss: RouteMiss): string {
  const segments = path.split("/").filter((s) => s !== "");
  for (let n = segments.length - 1; n > 1; n--) {
    const candidate = `/${segments.slice(0, n).join("/")}`;
    if (miss.hasGet(candidate)) return candidate;
  }
  return `/${face}`;
}
