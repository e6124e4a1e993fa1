import { escapeHtml } from "../billing/documents/html-escape.ts";
import type { FieldErrors } from "./render.ts";

// A refused form is shown again with each error beside its field, which a screen reader only meets by
// reading down to it: the page's title and focus did not change. So every page with a refusal says so in
// one place, for every form of both faces (render.ts): its title starts "Error: " and the top of the page
// holds a summary, announced (role="alert") and focused, listing each field's error as a link to the field.

/**
 * What the summary's heading says, chosen by the page that is refused: a form that saves says nothing was
 * saved; a list's filter form saves nothing, so it says the filters have a problem (until 2026-12-06 every
 * refused list said "nothing was saved" too).
 */
export interface SummaryWording {
  one: string;
  many: (count: number) => string;
}

/** A form that saves: none of it was. */
export const NOTHING_SAVED: SummaryWording = {
  one: "There is a problem: nothing was saved",
  many: (count) => `There are ${count} problems: nothing was saved`,
};

/** A list's filter form (list-filters.ts): nothing was to be saved, the list was not shown. */
export const FILTERS_REFUSED: SummaryWording = {
  one: "There is a problem with these filters",
  many: (count) => `There are ${count} problems with these filters`,
};

/** Where the layout leaves room for the summary: it lists labels, known only once the page is drawn. */
export const ERROR_SUMMARY_SLOT = "<!--error-summary-->";

/** The errors of fields (not the form's own, which its page shows above the form), in the page's order. */
export function fieldErrorsShown(errors: FieldErrors | undefined): [string, string][] {
  return Object.entries(errors ?? {}).filter(
    (entry): entry is [string, string] =>
      entry[0] !== "form" && typeof entry[1] === "string" && entry[1] !== "",
  );
}

/** The page with its summary in the slot, each error linked to its field when the page has one by that id. */
export function withErrorSummary(html: string, errors: [string, string][], wording: SummaryWording): string {
  if (!html.includes(ERROR_SUMMARY_SLOT)) return html;
  if (errors.length === 0) return html.replace(ERROR_SUMMARY_SLOT, "");
  const items = errors.map(([field, message]) => {
    const label = labelOf(html, field);
    const text = `${label ? `${label}: ` : ""}${escapeHtml(message)}`;
    return html.includes(`id="${escapeHtml(field)}"`)
      ? `<li><a href="#${escapeHtml(field)}">${text}</a></li>`
      : `<li>${text}</li>`;
  });
  const summary =
    `<div class="alert error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-h">` +
    `<h2 id="error-summary-h">${errors.length === 1 ? wording.one : wording.many(errors.length)}</h2>` +
    `<ul>${items.join("")}</ul></div>`;
  // A function, not a string: a replacement string would read `$'` or `$&` in a message as patterns.
  return html.replace(ERROR_SUMMARY_SLOT, () => summary);
}

/** The text of the field's label, as the page wrote it (already escaped), or "" when it has none. */
function labelOf(html: string, field: string): string {
  const found = new RegExp(`<label for="${escapeRegExp(escapeHtml(field))}"[^>]*>([\\s\\S]*?)</label>`).exec(
    html,
  );
  return (found?.[1] ?? "").replace(/<[^>]*>/g, "").trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
