import { describe, expect, it } from "vitest";
import { NEW_PASSWORD_PAGE } from "./portal-pages.ts";
import { pageHtml } from "./render.ts";

// Two things the accessibility pass of 2026-12-06 found on the portal: the reset page's "At least 12
// characters." was a paragraph above the form, not tied to the field, with no username for password managers;
// and a suspended customer was offered "Open control panel", which then answered 403.

describe("the portal's new-password page", () => {
  it("ties the length hint to the field and names the account for password managers", () => {
    const html = pageHtml("form", {
      face: "portal",
      ...NEW_PASSWORD_PAGE,
      hidden: { token: "t" },
      csrf: "c",
    });
    expect(html).toMatch(/<input id="password"[^>]*aria-describedby="password-hint"/);
    expect(html).toContain('<p class="muted hint" id="password-hint">At least 12 characters.</p>');
    // Not known (a stale link's form): hidden, and never sent.
    expect(html).toMatch(/<input type="text" autocomplete="username" value="" hidden>[\s\S]*id="password"/);
    // Known: shown read-only with its label, still not sent (no name), so no form field changes.
    const named = pageHtml("form", {
      face: "portal",
      ...NEW_PASSWORD_PAGE,
      username: "ada@example.com",
      hidden: { token: "t" },
      csrf: "c",
    });
    expect(named).toMatch(
      /<label for="username">E-mail<\/label>\s*<input id="username" type="text" autocomplete="username" value="ada@example.com" readonly>[\s\S]*id="password"/,
    );
    expect(named).not.toContain('name="username"');
    const refused = pageHtml("form", {
      face: "portal",
      ...NEW_PASSWORD_PAGE,
      csrf: "c",
      errors: { password: "The password must be at least 12 characters." },
    });
    expect(refused).toMatch(/<input id="password"[^>]*aria-describedby="password-hint password-error"/);
  });
});

describe("the portal's overview", () => {
  const overview = (status: string) =>
    pageHtml("portal-home", {
      face: "portal",
      title: "Your account",
      csrf: "c",
      status,
      balance: "$5.14",
      amount_due: "$5.14",
      unpaid: [],
      estimate: { available: false },
    });

  it("offers the control panel unless the account is suspended, and then says why not", () => {
    for (const status of ["active", "locked"]) expect(overview(status)).toContain("Open control panel");
    const suspended = overview("suspended");
    expect(suspended).not.toContain('action="/portal/control-panel"');
    expect(suspended).toContain("The control panel cannot be opened while your account is suspended.");
  });
});
