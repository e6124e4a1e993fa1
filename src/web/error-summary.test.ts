import { describe, expect, it } from "vitest";
import { FILTERS_REFUSED } from "./error-summary.ts";
import { pageHtml } from "./render.ts";

// Until 2026-12-06 a refused form changed nothing a screen reader meets first: the same title, the focus on
// the page, and no live region unless the form itself had an error. Every page drawn with errors now says so.

const form = (errors: Record<string, string>) =>
  pageHtml("form", {
    face: "portal",
    title: "Choose a new password",
    csrf: "t",
    heading: "Choose a new password",
    action: "/portal/password-reset/new",
    submit: "Save",
    errors,
    fields: [
      { name: "password", label: "New password", type: "password", autocomplete: "new-password" },
      { name: "email", label: "E-mail <address>", type: "email", autocomplete: "email", keep: true },
    ],
  });

describe("a refused form", () => {
  it("writes an error that holds a replacement pattern ($', $&) as it is", () => {
    // The summary goes into the page by String.replace, whose replacement string reads `$'` as "the rest of
    // the page": a message quoting what was typed must not pull the page into the summary.
    const html = form({ password: "No such amount: 5$' or $&." });
    expect(html).toContain("New password: No such amount: 5$&#39; or $&amp;.");
    expect(html.match(/<\/html>/g)).toHaveLength(1);
  });

  it("starts its title with Error: and sums up its errors at the top, each linked to its field", () => {
    const html = form({ password: "Must be at least 12 characters.", email: "Enter an e-mail address." });
    expect(html).toContain("<title>Error: Choose a new password · tokenbill portal</title>");
    const summary = /<main[^>]*>\s*(<div class="alert error-summary" role="alert"[^>]*>[\s\S]*?<\/div>)/.exec(
      html,
    )?.[1];
    expect(summary).toBeDefined();
    expect(summary).toContain("There are 2 problems");
    expect(summary).toContain(
      '<li><a href="#password">New password: Must be at least 12 characters.</a></li>',
    );
    expect(summary).toContain(
      '<li><a href="#email">E-mail &lt;address&gt;: Enter an e-mail address.</a></li>',
    );
    // The fields keep their own errors, tied to them.
    expect(html).toMatch(/<input id="password"[^>]*aria-describedby="password-error"/);
  });

  it("lists an error without a field of its id unlinked, and leaves the form's own error to its page", () => {
    const html = form({ settlement: "Choose credit or refund.", form: "The form arrived damaged." });
    expect(html).toContain("<title>Error: ");
    expect(html).toContain("<li>Choose credit or refund.</li>");
    expect(html).toContain("There is a problem");
    expect(html).not.toMatch(/error-summary[\s\S]*The form arrived damaged[\s\S]*class="alert" role="alert"/);
  });

  it("says nothing was saved unless its page words the heading otherwise, as a list's filters do", () => {
    expect(form({ password: "Must be at least 12 characters." })).toContain(
      ">There is a problem: nothing was saved</h2>",
    );
    const list = (errors: Record<string, string>) =>
      pageHtml("form", {
        face: "portal",
        title: "Payments",
        csrf: "t",
        action: "/portal/payments",
        errors,
        fields: [{ name: "month", label: "Month" }],
        summaryWording: FILTERS_REFUSED,
      });
    expect(list({ month: "Must be a month." })).toContain(">There is a problem with these filters</h2>");
    expect(list({ month: "Must be a month.", method: "Must be card." })).toContain(
      ">There are 2 problems with these filters</h2>",
    );
  });

  it("says nothing of the kind on a page without errors", () => {
    const html = form({});
    expect(html).toContain("<title>Choose a new password · tokenbill portal</title>");
    expect(html).not.toContain('error-summary" role');
    expect(html).not.toContain("<!--error-summary-->");
  });
});
