import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { billingContext } from "../testing/billing-fixtures.ts";
import { createDunCustomer, issueInvoice } from "./dunning-fixtures.ts";

// The dunning tests' issued invoice must be one the system could have issued: in the customer's currency,
// with the currency snapshot finalization keeps (draft-invoices.ts currencyJson), which every page, PDF and
// API answer reads. Until 2026-12-07 it was always USD and held the currency table's row (display_prefix…),
// so an invoice read back had no display at all.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("issueInvoice (dunning fixture)", () => {
  it("issues in the customer's currency when none is named, with the snapshot the API reads", async () => {
    const customerId = await createDunCustomer(handle.db, {
      email: "euro-fixture@example.com",
      currency: "EUR",
    });
    const id = await issueInvoice(handle.db, { customerId, total: 1_234n, dueDate: "2026-11-15" });
    const invoice = await getInvoice({ ctx: billingContext(handle), input: { id } });
    const eur = await handle.db
      .selectFrom("currency")
      .selectAll()
      .where("code", "=", "EUR")
      .executeTakeFirstOrThrow();
    expect(invoice.currency).toMatchObject({
      code: "EUR",
      exponent: eur.exponent,
      display_prefix: eur.display_prefix,
      display_suffix: eur.display_suffix,
      thousands_separator: eur.thousands_separator,
      decimals_separator: eur.decimals_separator,
    });
    const ledger = await handle.db
      .selectFrom("ledger_entry")
      .select("currency_code")
      .where("event_id", "=", `fin:${id}`)
      .execute();
    expect(new Set(ledger.map((l) => l.currency_code))).toEqual(new Set(["EUR"]));
  });

  it("refuses a currency other than the customer's, as no run could issue it", async () => {
    const customerId = await createDunCustomer(handle.db, { email: "usd-fixture@example.com" });
    await expect(
      issueInvoice(handle.db, { customerId, total: 1n, dueDate: "2026-11-15", currency: "EUR" }),
    ).rejects.toThrow(/customer's currency is USD/);
  });
});
