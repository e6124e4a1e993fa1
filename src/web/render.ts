import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { FastifyReply } from "fastify";
import { PAGE_ICON_LINK } from "../billing/documents/page-icon.ts";
import { formPageOf } from "./form-page.ts";
import { fieldErrorsShown, NOTHING_SAVED, type SummaryWording, withErrorSummary } from "./error-summary.ts";
import { readableTimes, withTimeElements } from "./page-time.ts";

// Server-rendered pages with Eta templates (src/web/templates): HTML escaping by default (`<%= %>`), one
// layout, no client-side build and no inline script (the CSP refuses it): a page loads only tokenbill's own
// files from src/web/assets (form-answer.js; on the console submit-once.js and follow-page.js), and works
// without them. The README's install command is all a page needs.
// Every page is no-store: pages show customer data and carry CSRF tokens.

const eta = new Eta({
  views: fileURLToPath(new URL("./templates", import.meta.url)),
  autoEscape: true,
  cache: true,
});

export type Face = "console" | "portal";

export interface FieldErrors {
  [field: string]: string | undefined;
}

export interface PageData {
  face: Face;
  title: string;
  /** Who is logged in, for the header (absent on login pages). */
  who?: { name: string; detail: string } | undefined;
  csrf: string;
  /** The error summary's heading when the page is refused (error-summary.ts): "nothing was saved" unless told. */
  summaryWording?: SummaryWording | undefined;
  [key: string]: unknown;
}

export function renderPage(
  reply: FastifyReply,
  template: string,
  data: PageData,
  status = 200,
): FastifyReply {
  // Every page answering a POST names the form's page, the login pages and others drawn outside the faces'
  // page helper included (until 2026-12-07 only that helper did, so Back after a refused login was a browser
  // error): the layout loads assets/form-answer.js for it.
  // Not on a 404: the form's address named what is not there (or not theirs: another customer's invoice is a
  // 404 to the portal), and the page must say nothing of it, its id included (portal-isolation.db.test.ts).
  const formPage = status === 404 ? undefined : formPageOf(reply.request);
  const html = pageHtml(template, { formPage, ...data });
  return reply.status(status).header("cache-control", "no-store").type("text/html; charset=utf-8").send(html);
}

/** A page's HTML, for an answer made where there is no Fastify reply (page-client-error.ts). */
export function pageHtml(template: string, data: PageData): string {
  const shown = shownMessages(data);
  const fieldErrors = fieldErrorsShown(shown.errors);
  const html = eta.render(`./${template}`, {
    errors: {},
    values: {},
    notice: undefined,
    ...data,
    pageIcon: PAGE_ICON_LINK,
    ...shown,
    // A refusal (a field's error or the form's) is said in the title too (error-summary.ts).
    refused: fieldErrors.length > 0 || Boolean(shown.errors?.["form"]),
  });
  // Every date and time a page shows is a <time datetime> element (page-time.ts).
  return withTimeElements(withErrorSummary(html, fieldErrors, data.summaryWording ?? NOTHING_SAVED));
}

/**
 * The messages a page shows (a refusal beside its field or above the form, an error page's message) with the
 * times in them written as the pages write times: verbs word them for the API, in ISO 8601 (page-time.ts).
 */
function shownMessages(data: PageData): { errors?: FieldErrors; message?: string } {
  const shown: { errors?: FieldErrors; message?: string } = {};
  const errors = data["errors"];
  if (errors && typeof errors === "object")
    shown.errors = Object.fromEntries(
      Object.entries(errors as FieldErrors).map(([field, text]) => [
        field,
        typeof text === "string" ? readableTimes(text) : text,
      ]),
    );
  if (typeof data["message"] === "string") shown.message = readableTimes(data["message"]);
  return shown;
}
