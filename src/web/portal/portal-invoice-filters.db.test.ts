import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  operatorContext,
  type PortalClient,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's invoice list filtered as a customer looks for an invoice: by its state in their words (open:
// something left to pay; paid; void) and by its month. Until 2026-12-06 the list took a page number only.

const file = serverPerFile();
let ada: PortalCustomer;
let client: PortalClient;
let paidNumber: string;

beforeAll(async () => {
  // Two invoices: 2026-09 paid in part (open), 2026-10 unpaid, then paid here in full.
  ada = await namedPortalCustomer(file.handle, "Ada");
  await recordPayment({
    ctx: operatorContext(file.handle),
    input: { invoice_id: ada.unpaidInvoiceId, amount: 1234n, method: "bank_transfer", reference: "BT-ALL" },
  });
  const paid = await file.handle.db
    .selectFrom("invoice")
    .select(["number", "status"])
    .where("id", "=", ada.unpaidInvoiceId)
    .executeTakeFirstOrThrow();
  expect(paid.status).toBe("paid");
  paidNumber = paid.number!;
  client = await loggedInPortal(file.server, ada);
});

const listed = async (query: string) => {
  const answer = await client.get(`/portal/invoices${query}`);
  return { status: answer.status, text: answer.text };
};

describe("the portal's invoice list, filtered", () => {
  it("shows the invoices of the state asked for, in the customer's words", async () => {
    const open = await listed("?status=open");
    expect(open.status).toBe(200);
    expect(open.text).toContain(ada.invoiceNumber);
    expect(open.text).not.toContain(paidNumber);
    expect(open.text).toMatch(/<option value="open" selected>/);

    const paid = await listed("?status=paid");
    expect(paid.text).toContain(paidNumber);
    expect(paid.text).not.toContain(ada.invoiceNumber);

    const none = await listed("?status=void");
    expect(none.status).toBe(200);
    expect(none.text).toContain("No invoices match these filters.");
    expect(none.text).not.toContain(ada.invoiceNumber);
  });

  it("shows the month asked for, and both filters together", async () => {
    const september = await listed("?period=2026-09");
    expect(september.text).toContain(ada.invoiceNumber);
    expect(september.text).not.toContain(paidNumber);
    expect(september.text).toContain('value="2026-09"');
    expect((await listed("?period=2026-10&status=paid")).text).toContain(paidNumber);
    expect((await listed("?period=2026-10&status=open")).text).toContain("No invoices match these filters.");
  });

  it("refuses a bad state or month beside its field with a 400, showing no invoice", async () => {
    const state = await listed("?status=overdue");
    expect(state.status).toBe(400);
    expect(state.text).toMatch(/id="status-error">must be open, paid or void/i);
    expect(state.text).not.toContain(ada.invoiceNumber);

    const month = await listed("?period=2026-13");
    expect(month.status).toBe(400);
    expect(month.text).toMatch(/id="period-error">/);
    expect(month.text).not.toContain(ada.invoiceNumber);

    // A hand-made address with a value past the address's cap: refused beside its field, not written back.
    const long = "9".repeat(2_000);
    const tooLong = await listed(`?period=${long}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toMatch(/id="period-error">/);
    expect(tooLong.text).not.toContain(long);
  });
});
