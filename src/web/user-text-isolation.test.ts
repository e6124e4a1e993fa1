import { describe, expect, it } from "vitest";
import { pageHtml } from "./render.ts";

// Text people typed (a customer's name, a reason) may run right to left. Set inline beside our own words it
// must be isolated (<bdi>), or its direction carries the neighbours with it: until 2026-12-06 the "(4)" after
// an Arabic customer name on /console/invoices showed on the name's left. The templates rendered as pages do.

const ARABIC = "شركة النور";

describe("user-entered text on the pages", () => {
  it("isolates a customer's name from the id after it in the invoice list, and the header's name", () => {
    const html = pageHtml("console-invoice-list", {
      face: "console",
      title: "Invoices",
      csrf: "t",
      who: { name: ARABIC, detail: "owner" },
      statuses: ["finalized"],
      currencies: ["USD"],
      invoices: [
        {
          id: "inv_1",
          number: "INV-2026-000001",
          customer: ARABIC,
          customer_id: 4,
          period: "2026-10",
          badge: "",
          status: "finalized",
          total: "$5.14",
          due: "$5.14",
          due_date: "2026-11-14",
        },
      ],
    });
    expect(html).toContain(`<td><bdi>${ARABIC}</bdi> <span class="muted">(4)</span></td>`);
    expect(html).toContain(`<strong><bdi>${ARABIC}</bdi></strong> (<bdi>owner</bdi>)`);
  });

  it("lets a name typed into a form take its direction from what is typed", () => {
    const html = pageHtml("console-customer-form", {
      face: "console",
      title: "New customer",
      csrf: "t",
      action: "/console/customers",
      submit: "Create",
      cancel: "/console/customers",
      currencies: ["USD"],
      clientGroups: [],
      values: { name: ARABIC },
    });
    expect(html).toMatch(
      new RegExp(`<input id="name" name="name" type="text" [^>]*dir="auto"[^>]*value="${ARABIC}"`),
    );
    expect(html).toMatch(/<input id="email" name="email" type="email"(?![^>]*dir=)/);
  });

  it("does so on the console's own form fields and free-text areas", () => {
    const html = pageHtml("confirm", {
      face: "console",
      title: "Void",
      csrf: "t",
      confirm: { action: "/x", submit: "Void", reason: { name: "reason", label: "Reason", required: true } },
    });
    expect(html).toMatch(/<(input|textarea) id="reason" name="reason"[^>]*dir="auto"/);
  });
});
