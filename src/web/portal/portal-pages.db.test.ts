import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testClock } from "../../../test/helpers/test-clock.ts";
import { invoiceAmountDue } from "../../billing/ledger/ledger.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { addDays, calendarDate } from "../../billing/runs/calendar-date.ts";
import { createCustomer, updateCustomer } from "../../services/customers/customers.ts";
import { setPortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { periodBounds, previousPeriod } from "../../domain/periods.ts";
import { datesOffRule, datesOutsideTime } from "../page-time.ts";
import { evaluateCustomerDunning } from "../../billing/dunning/evaluate-dunning.ts";
import {
  operatorContext,
  PORTAL_PASSWORD,
  PortalClient,
  type PortalCustomer,
  portalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's pages over real HTTP with a real database: what each page shows (amounts in the currency's
// format, statuses, the dunning warning), what each form changes, errors next to their fields, and paying
// an invoice through the Stripe provider's local fake, paid only once its signed webhook has arrived.

const TODAY = calendarDate(new Date(), "UTC");
const ADA_DUE = addDays(TODAY, -8);

let world: StripeWorld;
let ada: PortalCustomer;
let grace: PortalCustomer;
const clock = testClock();

beforeAll(async () => {
  world = await startStripeWorld({
    settings: {
      STRIPE_SUCCESS_URL: "http://portal.test/portal/checkout/return?session_id={CHECKOUT_SESSION_ID}",
    },
    now: clock.now,
  });
  // Ada's invoices were due 8 days ago: the dunning ladder has locked her (second overdue, day +7).
  ada = await portalCustomer(world.handle, {
    email: "ada@example.com",
    name: "Ada Lovelace",
    dueDate: ADA_DUE,
  });
  await evaluateCustomerDunning(operatorContext(world.handle), ada.id, new Date());
  grace = await portalCustomer(world.handle, {
    email: "grace@example.com",
    name: "Grace",
    dueDate: "2099-01-01",
  });
});
afterAll(() => world?.close());

async function loggedIn(customer: PortalCustomer): Promise<PortalClient> {
  const client = new PortalClient(world.server.url);
  await client.logIn(customer.email);
  return client;
}

/** A page's visible text: its markup, style and scripts left out. */
function visibleText(html: string): string {
  return html
    .replace(/<(style|script)\b[^>]*>[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;|&#160;/g, " ");
}

describe("dates on the portal's pages", () => {
  it("are written one way on every page: ISO dates, UTC times to the minute with the zone", async () => {
    const client = await loggedIn(ada);
    const paths = [
      "/portal",
      "/portal/invoices",
      `/portal/invoices/${ada.invoiceId}`,
      `/portal/invoices/${ada.unpaidInvoiceId}`,
      "/portal/payments",
      `/portal/payments/${ada.paymentId}`,
      "/portal/credit-notes",
      "/portal/statement",
      "/portal/profile",
    ];
    const offRule: string[] = [];
    const outside: string[] = [];
    for (const path of paths) {
      const page = await client.request("GET", path);
      expect(page.status, path).toBe(200);
      offRule.push(...datesOffRule(visibleText(page.text)).map((date) => `${path}: ${date}`));
      outside.push(...datesOutsideTime(page.text).map((date) => `${path}: ${date}`));
    }
    expect(offRule).toEqual([]);
    // Each in a <time> element whose datetime is its ISO 8601 value (render.ts, since 2026-12-06).
    expect(outside).toEqual([]);
    // The scan finds what it is for: the overview's long dates of until 2026-12-06.
    expect(datesOffRule("was due on 28 November 2026, then on Nov 30, 2026 or 11/30/2026")).toHaveLength(3);
    expect(datesOffRule("2026-11-30 14:05 UTC; 2026-10-01 00:00 – 2026-11-01 00:00 UTC; 2026-11-30")).toEqual(
      [],
    );
    expect(datesOffRule("2026-11-30 14:05 and 2026-11-30T14:05:00Z")).toHaveLength(2);
  });
});

describe("the overview", () => {
  it("shows the balance, the amount due and the dunning warning with what comes next", async () => {
    const page = await (await loggedIn(ada)).request("GET", "/portal");
    expect(page.status).toBe(200);
    // $51.40 − $20.00 paid − $1.00 credit note (tax-free net) = $30.40, plus the unpaid $12.34.
    expect(page.text).toContain('id="balance">$42.74<');
    expect(page.text).toContain('id="amount-due">$42.74<');
    // Counted in words, not "2 unpaid invoice(s)." (until 2026-12-05).
    expect(page.text).toContain("2 unpaid invoices.");
    expect(page.text).not.toContain("(s)");
    expect(page.text).toContain("Your account is locked");
    // Dates are ISO 8601 (page-time.ts): "28 November 2026" until 2026-12-06.
    expect(page.text).toContain(`was due on <time datetime="${ADA_DUE}">${ADA_DUE}</time>`);
    // The next rung is the suspension at day +14 (billing-rules §8), shown with its date.
    expect(page.text).toContain(
      `on <strong><time datetime="${addDays(ADA_DUE, 14)}">${addDays(ADA_DUE, 14)}</time></strong> your account will be suspended`,
    );
    expect(page.text).toContain("Open control panel");
  });

  it("says the estimate is not available when SolusIO cannot be asked, and that there is no usage in a month's first hour", async () => {
    const client = await loggedIn(ada);
    // Last month, with the server's clock pinned inside it: the same answers whenever the suite runs.
    const month = periodBounds(previousPeriod(new Date(), "UTC"), "UTC");
    try {
      // No SolusIO in this test: the page still opens, and says the estimate is not available.
      clock.pin(new Date(month.start.getTime() + 5 * 3_600_000));
      expect((await client.request("GET", "/portal")).text).toContain(
        "The estimate is not available right now",
      );
      // In the first hour there is no whole hour to ask SolusIO about: no usage yet, and nothing asked.
      clock.pin(new Date(month.start.getTime() + 40 * 60_000));
      const firstHour = await client.request("GET", "/portal");
      expect(firstHour.status).toBe(200);
      expect(firstHour.text).toContain("No server usage this month so far.");
    } finally {
      clock.release();
    }
  });

  it("tells a customer whose invoice falls due in two days when, and what happens if it is not paid", async () => {
    const soon = await portalCustomer(world.handle, {
      email: "soon@example.com",
      name: "Soon",
      dueDate: addDays(TODAY, 2),
      single: true,
    });
    const page = await (await loggedIn(soon)).request("GET", "/portal");
    expect(page.text).toContain('id="dunning-warning"');
    expect(page.text).toContain(
      `is due on <time datetime="${addDays(TODAY, 2)}">${addDays(TODAY, 2)}</time>`,
    );
    expect(page.text).toContain(
      `on <strong><time datetime="${addDays(TODAY, 9)}">${addDays(TODAY, 9)}</time></strong> your account will be locked`,
    );
  });

  it("tells a customer that staff locked the account, without blaming dunning", async () => {
    const held = await portalCustomer(world.handle, {
      email: "held@example.com",
      name: "Held",
      dueDate: "2099-01-01",
      single: true,
    });
    await updateCustomer({
      ctx: operatorContext(world.handle),
      input: { id: held.id, patch: { status: "locked", status_reason: "abuse report" } },
    });
    const page = await (await loggedIn(held)).request("GET", "/portal");
    expect(page.text).toContain('id="account-status"');
    expect(page.text).toContain("Your account is locked.");
    expect(page.text).not.toContain('id="dunning-warning"');
    // The staff's reason is for staff: the customer is asked to get in touch instead.
    expect(page.text).not.toContain("abuse report");
  });

  it("shows no warning to a customer whose invoices are not due yet", async () => {
    const page = await (await loggedIn(grace)).request("GET", "/portal");
    expect(page.text).toContain('id="amount-due">$42.74<');
    // Counted in words, not "2 unpaid invoice(s)." (until 2026-12-05).
    expect(page.text).toContain("2 unpaid invoices.");
    expect(page.text).not.toContain("(s)");
    expect(page.text).not.toContain('id="dunning-warning"');
  });
});

describe("invoices, credit notes and payments", () => {
  it("lists the customer's invoices and shows one with its line, totals, status and amount due", async () => {
    const client = await loggedIn(ada);
    const list = await client.request("GET", "/portal/invoices");
    expect(list.text).toContain(ada.invoiceNumber);
    expect(list.text).toContain("partly paid");
    expect(list.text).not.toContain(grace.invoiceNumber);
    const page = await client.request("GET", `/portal/invoices/${ada.invoiceId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Server: web-1");
    expect(page.text).toContain('id="invoice-total">$51.40<');
    expect(page.text).toContain('id="invoice-amount-due">$30.40<');
    expect(page.text).toContain("Pay now");
    // The "Pay now" form ends on the provider's page: this page's CSP lets a form redirect there, nowhere else.
    expect(page.headers.get("content-security-policy")).toContain(
      "form-action 'self' https://checkout.stripe.com;",
    );
    const pdf = await client.request("GET", `/portal/invoices/${ada.invoiceId}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe("application/pdf");
    expect(pdf.body.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.headers.get("content-disposition")).toContain(`${ada.invoiceNumber}.pdf`);
  });

  it("lists credit notes with their PDF, and payments with what they paid", async () => {
    const client = await loggedIn(ada);
    const notes = await client.request("GET", "/portal/credit-notes");
    expect(notes.text).toContain(ada.creditNoteNumber);
    expect(notes.text).toContain("Outage");
    expect(notes.text).toContain("$1.00");
    const pdf = await client.request("GET", `/portal/credit-notes/${ada.creditNoteId}/pdf`);
    expect(pdf.body.subarray(0, 5).toString()).toBe("%PDF-");
    const payments = await client.request("GET", "/portal/payments");
    expect(payments.text).toContain(`BT-${ada.id}`);
    expect(payments.text).toContain("$20.00");
    const one = await client.request("GET", `/portal/payments/${ada.paymentId}`);
    expect(one.text).toContain("Payment of $20.00");
    expect(one.text).toContain(ada.invoiceNumber);
  });

  it("answers 404 for an id that is not a well-formed id at all", async () => {
    const client = await loggedIn(ada);
    expect((await client.request("GET", "/portal/invoices/nonsense")).status).toBe(404);
    expect((await client.request("GET", "/portal/credit-notes/cn_zz/pdf")).status).toBe(404);
  });
});

describe("pay now", () => {
  it("sends the customer to the provider, and shows the invoice paid once the webhook came", async () => {
    const client = await loggedIn(grace);
    const pay = await client.submit(
      `/portal/invoices/${grace.unpaidInvoiceId}`,
      `/portal/invoices/${grace.unpaidInvoiceId}/pay`,
      {},
    );
    expect(pay.status).toBe(303);
    expect(pay.location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const sessionId = pay.location!.split("/").at(-1)!;
    expect(world.fake.sessions.get(sessionId)).toMatchObject({ amount_total: 1234, currency: "usd" });

    // Back before Stripe's webhook: not paid yet, and the page says the payment is being confirmed.
    const early = await client.request("GET", `/portal/checkout/return?session_id=${sessionId}`);
    expect(early).toMatchObject({
      status: 303,
      location: `/portal/invoices/${grace.unpaidInvoiceId}?notice=payment_returned`,
    });
    const waiting = await client.request("GET", early.location!);
    expect(waiting.text).toContain("being confirmed");
    expect(waiting.text).toContain('id="invoice-amount-due">$12.34<');

    expect((await world.deliver(world.fake.completeSession(sessionId))).status).toBe(200);
    const paid = await client.request("GET", `/portal/invoices/${grace.unpaidInvoiceId}`);
    expect(paid.text).toContain('id="invoice-status">paid<');
    expect(paid.text).toContain('id="invoice-amount-due">$0.00<');
    expect(paid.text).not.toContain("Pay now");
    // The page the return left open, reloaded as it asks, says it is paid (until 2026-12-06 it still said
    // the payment was being confirmed).
    const reloaded = await client.request("GET", early.location!);
    expect(reloaded.text).not.toContain("being confirmed");
    expect(reloaded.text).toContain("Thank you. Your payment is confirmed: this invoice is paid.");
    expect(reloaded.text).toContain('id="invoice-status">paid<');
    expect(await invoiceAmountDue(world.db, grace.unpaidInvoiceId)).toBe(0n);

    // Paying it again is refused without a checkout: back to the invoice with a notice.
    const again = await client.submit(
      `/portal/invoices/${grace.invoiceId}`,
      `/portal/invoices/${grace.unpaidInvoiceId}/pay`,
      {},
    );
    expect(again).toMatchObject({
      status: 303,
      location: `/portal/invoices/${grace.unpaidInvoiceId}?notice=not_payable`,
    });
  });

  it("refuses a pay-now POST without the page's CSRF token", async () => {
    const client = await loggedIn(grace);
    const forged = await client.request("POST", `/portal/invoices/${grace.invoiceId}/pay`, {
      _csrf: "forged",
    });
    expect(forged.status).toBe(403);
  });
});

describe("profile", () => {
  it("saves the name, and shows a missing name next to the field with 400", async () => {
    const client = await loggedIn(grace);
    const saved = await client.submit("/portal/profile", "/portal/profile", { name: "Grace Hopper" });
    expect(saved).toMatchObject({ status: 303, location: "/portal/profile?notice=profile_saved" });
    const row = await world.db
      .selectFrom("customer")
      .select(["name", "currency_code"])
      .where("id", "=", grace.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: "Grace Hopper", currency_code: "USD" });
    const bad = await client.submit("/portal/profile", "/portal/profile", { name: "  " });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id="name-error"');
    expect(bad.text).toContain("Enter the name for your account.");
    // The currency is not a field the portal takes: a forged one is ignored and changes nothing.
    const forged = await client.submit("/portal/profile", "/portal/profile", {
      name: "X",
      currency: "EUR",
    } as never);
    expect(forged.status).toBe(303);
    const after = await world.db
      .selectFrom("customer")
      .select("currency_code")
      .where("id", "=", grace.id)
      .executeTakeFirstOrThrow();
    expect(after.currency_code).toBe("USD");
  });

  it("changes the password given the current one, ends other sessions and keeps this one", async () => {
    const other = await loggedIn(grace);
    const client = await loggedIn(grace);
    const wrong = await client.submit("/portal/profile", "/portal/profile/password", {
      current_password: "not the password",
      new_password: "a brand new password",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('id="current_password-error"');
    const short = await client.submit("/portal/profile", "/portal/profile/password", {
      current_password: PORTAL_PASSWORD,
      new_password: "short",
    });
    expect(short.status).toBe(400);
    expect(short.text).toContain('id="new_password-error"');
    const changed = await client.submit("/portal/profile", "/portal/profile/password", {
      current_password: PORTAL_PASSWORD,
      new_password: "a brand new password",
    });
    expect(changed).toMatchObject({ status: 303, location: "/portal/profile?notice=password_changed" });
    expect((await client.request("GET", "/portal/profile")).status).toBe(200);
    expect((await other.request("GET", "/portal/profile")).status).toBe(303);
    const fresh = new PortalClient(world.server.url);
    await fresh.logIn(grace.email, "a brand new password");
  });
});

describe("text the portal does not take", () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the raw characters a page must not echo.
  const RAW = /[\u0000\u0007\u001b]/;

  // The name's verb refused it too, but the form page wrote the raw character back; the reset page put the
  // query's ESC into its hidden field (200).
  it("refuses a control character in a form field or the address with 400, echoing nothing", async () => {
    const client = await loggedIn(ada);
    const before = await world.db
      .selectFrom("customer")
      .select("name")
      .where("id", "=", ada.id)
      .executeTakeFirstOrThrow();
    // The profile form again, the name kept without its control character and the field named (until
    // 2026-12-06 the error page, and the name typed was lost).
    const bad = await client.submit("/portal/profile", "/portal/profile", { name: "Ada\u0007 King" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('action="/portal/profile"');
    expect(bad.text).toMatch(/id="name"[^>]* value="Ada King"/);
    expect(bad.text).toMatch(/id="name-error">Held a control character/);
    expect(bad.text).not.toMatch(RAW);
    for (const path of ["/portal/invoices?page=%00", "/portal/password-reset/new?token=%1B"]) {
      const answer = await client.get(path);
      expect(answer.status, path).toBe(400);
      expect(answer.text).not.toMatch(RAW);
    }
    const after = await world.db
      .selectFrom("customer")
      .select("name")
      .where("id", "=", ada.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });

  // A bidirectional override shows the name reversed on invoices and in the console ("Trojan Source",
  // docs/security.md, "Input"): through the form, not only the verb, the form again without it, said beside it.
  it("refuses a bidirectional override or isolate in the profile name through the form, changing nothing", async () => {
    const client = await loggedIn(ada);
    const nameOf = async () =>
      (
        await world.db
          .selectFrom("customer")
          .select("name")
          .where("id", "=", ada.id)
          .executeTakeFirstOrThrow()
      ).name;
    const before = await nameOf();
    for (const [name, kept, code] of [
      ["Ada \u202Eecalevol\u202C King", "Ada ecalevol King", "202E"],
      ["\u2067Ada\u2069 King", "Ada King", "2067"],
      ["Ada\u202A King", "Ada King", "202A"],
    ]) {
      const bad = await client.submit("/portal/profile", "/portal/profile", { name: name! });
      expect(bad.status, JSON.stringify(name)).toBe(400);
      expect(bad.text).toContain('action="/portal/profile"');
      expect(bad.text).toMatch(new RegExp(`id="name"[^>]* value="${kept}"`));
      // Named as what it is, in the API's words (until 2026-12-07 "a control character (such as a tab…)").
      expect(bad.text).toContain(
        `id="name-error">Held a text-direction control character (U+${code}), which changes the order text is shown in:`,
      );
      expect(bad.text).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    }
    expect(await nameOf()).toBe(before);
    // The right-to-left marks reorder nothing and stay allowed (so do Arabic and Hebrew names).
    const marked = await client.submit("/portal/profile", "/portal/profile", { name: "Ada \u200Fعلي" });
    expect(marked).toMatchObject({ status: 303, location: "/portal/profile?notice=profile_saved" });
    expect(await nameOf()).toBe("Ada \u200Fعلي");
    await client.submit("/portal/profile", "/portal/profile", { name: before ?? "Ada Lovelace" });
  });

  // Until 2026-12-07 a field whose encoding was not UTF-8 was saved as its encoded spelling ("%ED%A0%80").
  it("shows the profile form again for a name whose encoding is not UTF-8, changing nothing", async () => {
    const client = await loggedIn(ada);
    const nameOf = async () =>
      (
        await world.db
          .selectFrom("customer")
          .select("name")
          .where("id", "=", ada.id)
          .executeTakeFirstOrThrow()
      ).name;
    const before = await nameOf();
    for (const [encoded, kept] of [
      ["Ada%ED%A0%80", "Ada"],
      ["%ED%B0%80King", "King"],
    ]) {
      const bad = await client.submitEncoded("/portal/profile", "/portal/profile", {}, `name=${encoded}`);
      expect(bad.status, encoded).toBe(400);
      expect(bad.text).toContain('action="/portal/profile"');
      expect(bad.text).toMatch(new RegExp(`id="name"[^>]* value="${kept}"`));
      expect(bad.text).toMatch(/id="name-error">Held bytes that are not text \(not UTF-8/);
      expect(bad.text).not.toMatch(/[\uD800-\uDFFF\uFFFD]|%ED/);
    }
    expect(await nameOf()).toBe(before);
  });

  it("logs in with a password that holds a tab, and takes a NUL in one as a wrong password (passwords are only bounded)", async () => {
    const ctx = operatorContext(world.handle);
    const customer = await createCustomer({
      ctx,
      input: { email: "tab@example.com", name: "Tab", country: "US", currency: "USD" },
    });
    await setPortalPassword({
      ctx,
      input: { customer_id: BigInt(customer.id), password: "tab\tin my password" },
    });
    await new PortalClient(world.server.url).logIn("tab@example.com", "tab\tin my password");
    const nul = await new PortalClient(world.server.url).submit("/portal/login", "/portal/login", {
      email: "tab@example.com",
      password: "tab\u0000in my password",
    });
    expect(nul.status).toBe(401);
    expect(nul.text).toContain("Wrong e-mail or password.");
  });
});

describe("control panel", () => {
  it("says so in the customer's words when no SolusIO is reachable", async () => {
    const client = await loggedIn(ada);
    const answer = await client.submit("/portal", "/portal/control-panel", {});
    expect(answer.status).toBe(503);
    expect(answer.text).toContain("The control panel cannot be reached right now");
    expect(answer.text).not.toContain("SOLUSIO_API_TOKEN");
  });
});
