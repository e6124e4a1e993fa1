import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";

// A repeated (method, reference) is the same payment (billing-rules §7), so a reference is compared as written:
// an invisible character in it made "DUP-1" + U+200B a second payment, listed as a second "DUP-1". Such
// references are refused naming the field and the character; spaces around one are still dropped. Names
// and free text keep the joiners scripts and emoji need.

const file = serverPerFile();
let customer: bigint;
let invoice = "";
beforeAll(async () => {
  [customer] = (await createCustomers(file.handle, [{ email: "refs@example.com" }])) as [bigint];
  [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 5000n }])) as [string];
});

const pay = (reference: string) =>
  file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
    amount: 100,
    method: "bank_transfer",
    reference,
  });

const references = async () =>
  (await file.server.api("GET", `/api/v1/payments?customer_id=${customer}`)).body.data.map(
    (p: { reference: string }) => p.reference,
  );

describe("payment references", () => {
  it("are the same payment with spaces, NBSP or U+FEFF around them", async () => {
    const first = await pay("DUP-1");
    expect(first.status).toBe(201);
    for (const padded of [" DUP-1 ", "\u00a0DUP-1", "DUP-1\ufeff"]) {
      const again = await pay(padded);
      expect([again.status, again.body.data.id], JSON.stringify(padded)).toEqual([200, first.body.data.id]);
    }
    expect(await references()).toEqual(["DUP-1"]);
  });

  it.each([
    ["DUP-1\u200b", "U+200B at character 6"], // zero-width space
    ["DUP\ufeff-1", "U+FEFF at character 4"], // byte order mark inside
    ["DUP\u00ad-1", "U+00AD at character 4"], // soft hyphen
    ["DUP-1\ufff9", "U+FFF9 at character 6"], // interlinear annotation anchor
    ["DUP-\u20601", "U+2060 at character 5"], // word joiner
    ["DUP-\u034f1", "U+034F at character 5"], // combining grapheme joiner: default-ignorable, not Cf
    ["DUP-1\u200d", "U+200D at character 6"], // zero-width joiner
  ])(
    "refuse %j with a 400 naming the field and the character, recording nothing",
    async (reference, where) => {
      const r = await pay(reference);
      expect(r.status).toBe(400);
      expect(r.body.error.issues).toEqual([
        {
          field: "reference",
          message: `must not contain invisible characters (${where}): it is compared as written, and would look like another`,
        },
      ]);
      expect(await references()).toEqual(["DUP-1"]);
    },
  );

  it("refuse an invisible character in a customer payment's and in mark-paid's reference", async () => {
    const byCustomer = await file.server.api("POST", `/api/v1/customers/${customer}/payments`, {
      amount: 100,
      reference: "C\u200b-1",
    });
    expect([byCustomer.status, byCustomer.body.error.issues[0].field]).toEqual([400, "reference"]);
    const marked = await file.server.api("POST", `/api/v1/invoices/${invoice}/mark-paid`, {
      amount: 4900,
      date: "2026-01-02",
      reference: "M\u00ad-1",
    });
    expect([marked.status, marked.body.error.issues[0].field]).toEqual([400, "reference"]);
    expect(await references()).toEqual(["DUP-1"]);
  });

  it("leave names and free text their joiners: a Persian name's ZWNJ, an emoji's ZWJ", async () => {
    const persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"; // "می‌خواهم", with a ZWNJ
    const created = await file.server.api("POST", "/api/v1/customers", {
      email: "zwnj@example.com",
      name: persian,
      country: "DE",
      currency: "USD",
    });
    expect([created.status, created.body.data?.name]).toEqual([201, persian]);
    const payment = (await pay("DUP-1")).body.data.id;
    const family = "\u{1F468}\u200d\u{1F469}\u200d\u{1F467}";
    const refund = await file.server.api("POST", `/api/v1/payments/${payment}/refunds`, {
      amount: 1,
      reason: `asked ${family}`,
    });
    expect([refund.status, refund.body.data?.reason]).toEqual([201, `asked ${family}`]);
  });
});
