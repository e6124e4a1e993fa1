import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { issueCreditNote } from "../../billing/credit-notes/issue-credit-note.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  operatorContext,
  type PortalClient,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's credit-note and payment lists filtered as the invoice list is (portal-invoice-filters.db.test.ts):
// credit notes by the month they were issued, payments by the month they were received and their method in
// the customer's words; a bad value refused beside its field with a 400, a bad page number told with it, and
// the refusal summed up as a problem with the filters (a list saves nothing). Until 2026-12-06 both lists took
// a page number only.

const file = serverPerFile();
let ada: PortalCustomer;
let bob: PortalCustomer;
let client: PortalClient;
/** The month the fixture's own note and payment were made in (today's, in the billing time zone: UTC). */
let thisMonth: string;
const OCTOBER_NOTE_REASON = "October outage";

beforeAll(async () => {
  ada = await namedPortalCustomer(file.handle, "Ada");
  bob = await namedPortalCustomer(file.handle, "Bob");
  // Besides the fixture's note and bank transfer (made today): a note issued and a cash payment received in
  // October 2026.
  const october = operatorContext(file.handle, new Date("2026-10-15T12:00:00Z"));
  await issueCreditNote({
    ctx: october,
    input: { invoice_id: ada.invoiceId, amount: 200n, reason: OCTOBER_NOTE_REASON },
  });
  await recordPayment({
    ctx: operatorContext(file.handle),
    input: {
      invoice_id: ada.unpaidInvoiceId,
      amount: 300n,
      method: "cash",
      reference: "CASH-OCT",
      paid_at: "2026-10-20",
    },
  });
  // Bob: 51 cash payments of a cent in October, two pages of them.
  for (let i = 0; i < 51; i++)
    await recordPayment({
      ctx: operatorContext(file.handle),
      input: {
        customer_id: bob.id,
        amount: 1n,
        method: "cash",
        reference: `CENT-${i}`,
        paid_at: "2026-10-21",
      },
    });
  const note = await file.handle.db
    .selectFrom("credit_note")
    .select("issue_date")
    .where("id", "=", ada.creditNoteId)
    .executeTakeFirstOrThrow();
  thisMonth = note.issue_date.slice(0, 7);
  expect(thisMonth).not.toBe("2026-10");
  client = await loggedInPortal(file.server, ada);
});

const listed = async (path: string) => {
  const answer = await client.get(path);
  return { status: answer.status, text: answer.text };
};

describe("the portal's credit-note list, filtered", () => {
  it("shows the notes issued in the month asked for, and says when none match", async () => {
    const october = await listed("/portal/credit-notes?month=2026-10");
    expect(october.status).toBe(200);
    expect(october.text).toContain(OCTOBER_NOTE_REASON);
    expect(october.text).not.toContain(ada.creditNoteNumber);
    expect(october.text).toContain('value="2026-10"');

    const now = await listed(`/portal/credit-notes?month=${thisMonth}`);
    expect(now.text).toContain(ada.creditNoteNumber);
    expect(now.text).not.toContain(OCTOBER_NOTE_REASON);
    // Bob's note of the same month is never Ada's to see.
    expect(now.text).not.toContain(bob.creditNoteNumber);

    const none = await listed("/portal/credit-notes?month=2020-01");
    expect(none.status).toBe(200);
    expect(none.text).toContain("No credit notes match these filters.");
  });

  it("refuses a bad or over-long month beside its field with a 400, showing no note", async () => {
    for (const bad of ["2026-13", "October", "9".repeat(2_000)]) {
      const answer = await listed(`/portal/credit-notes?month=${bad}`);
      expect(answer.status, bad.slice(0, 10)).toBe(400);
      expect(answer.text).toMatch(/id="month-error">must be a month written YYYY-MM/i);
      expect(answer.text).toMatch(/<input id="month"[^>]*aria-invalid="true"/);
      expect(answer.text).not.toContain(ada.creditNoteNumber);
      expect(answer.text).not.toContain(OCTOBER_NOTE_REASON);
    }
    expect((await listed(`/portal/credit-notes?month=${"9".repeat(2_000)}`)).text).not.toContain(
      "9".repeat(1_001),
    );
  });
});

describe("the portal's payment list, filtered", () => {
  it("shows the payments received in the month asked for, by the method asked for", async () => {
    const october = await listed("/portal/payments?month=2026-10");
    expect(october.status).toBe(200);
    expect(october.text).toContain("CASH-OCT");
    expect(october.text).not.toContain(`BT-${ada.id}`);

    const transfers = await listed("/portal/payments?method=bank_transfer");
    expect(transfers.text).toContain(`BT-${ada.id}`);
    expect(transfers.text).not.toContain("CASH-OCT");
    expect(transfers.text).not.toContain(`BT-${bob.id}`);
    expect(transfers.text).toMatch(/<option value="bank_transfer" selected>/);

    expect((await listed("/portal/payments?method=cash&month=2026-10")).text).toContain("CASH-OCT");
    const none = await listed("/portal/payments?method=card");
    expect(none.status).toBe(200);
    expect(none.text).toContain("No payments match these filters.");
    expect(none.text).not.toContain("CASH-OCT");
  });

  it("refuses a method or month it does not know beside its field with a 400, showing no payment", async () => {
    const method = await listed("/portal/payments?method=paypal");
    expect(method.status).toBe(400);
    expect(method.text).toMatch(/id="method-error">must be card, bank_transfer, cash, cheque or manual/i);
    expect(method.text).not.toContain("CASH-OCT");

    const long = "2".repeat(2_000);
    const month = await listed(`/portal/payments?month=${long}`);
    expect(month.status).toBe(400);
    expect(month.text).toMatch(/id="month-error">/);
    expect(month.text).not.toContain(long.slice(0, 1_001));
    expect(month.text).not.toContain(`BT-${ada.id}`);
  });

  it("keeps the filters in its pager's links", async () => {
    const bobs = await loggedInPortal(file.server, bob);
    const first = await bobs.get("/portal/payments?method=cash&month=2026-10");
    expect(first.status).toBe(200);
    expect(first.text).toContain("Page 1 of 2 (51 in all)");
    expect(first.text).toMatch(
      /href="\/portal\/payments\?method=cash&amp;month=2026-10&amp;cursor=[^"]+&amp;page=2" rel="next"/,
    );
  });
});

describe("a portal list whose page number and filters are both bad", () => {
  const CASES = [
    ["/portal/invoices", "period"],
    ["/portal/credit-notes", "month"],
    ["/portal/payments", "month"],
  ] as const;
  for (const [list, field] of CASES)
    it(`${list} tells every error, not only the page number's`, async () => {
      const answer = await listed(`${list}?page=abc&${field}=2026-13`);
      expect(answer.status).toBe(400);
      expect(answer.text).toMatch(/page: must be a whole number from 1 to 1000000/i);
      expect(answer.text).toMatch(new RegExp(`id="${field}-error">must be a month written YYYY-MM`, "i"));
    });
});

describe("a refused portal list's error summary", () => {
  it("names a problem with the filters, not a form that saved nothing", async () => {
    for (const path of [
      "/portal/invoices?status=overdue",
      "/portal/credit-notes?month=2026-13",
      "/portal/payments?method=paypal",
    ]) {
      const answer = await listed(path);
      expect(answer.text, path).toContain(">There is a problem with these filters</h2>");
      expect(answer.text, path).not.toContain("nothing was saved");
    }
    const two = await listed("/portal/payments?method=paypal&month=2026-13");
    expect(two.text).toContain(">There are 2 problems with these filters</h2>");
  });
});
