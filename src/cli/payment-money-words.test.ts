import { beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";
import { issueInvoices } from "../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";

// A refusal about amounts answers in the currency's units, as the person typed them (--amount 5.00), not in
// the API's minor units: `payments refund --amount 5.00` said "at most 200 (minor units) of payment pay_… is
// left to refund". The console words them the same (MoneyRefusal, src/billing/payments/money-refusal-words.ts).

const { data, tokenbill } = commandsOnSharedDatabase();
let invoice = { id: "", number: "" };

const run = (...args: string[]) => tokenbill("payments", ...args);

beforeAll(async () => {
  const { handle } = data();
  const [customerId] = await createCustomers(handle, [{ email: "refunds@example.com" }]);
  const [id] = await issueInvoices(handle.db, [{ customerId: customerId!, total: 500n }]);
  const row = await handle.db
    .selectFrom("invoice")
    .select(["id", "number"])
    .where("id", "=", id!)
    .executeTakeFirstOrThrow();
  invoice = { id: row.id, number: row.number! };
});

describe("a refusal about amounts on the command line", () => {
  // Each command is a process of its own: a few seconds apiece on a busy machine.
  it("names a refund's limit in dollars, against --amount", { timeout: 120_000 }, async () => {
    const paid = await run("record", "--invoice", invoice.id, "--amount", "2.00", "--reference", "BT-9");
    expect([paid.code, paid.stderr]).toEqual([0, ""]);
    const payment = JSON.parse(paid.stdout).id as string;
    const over = await run("refund", "--payment", payment, "--amount", "5.00");
    expect([over.code, over.stderr]).toEqual([
      2,
      "error: --amount: at most $2.00 of this payment is left to refund\n",
    ]);
    // Another amount under a reference already used is a conflict that names the first payment's amount, and
    // the option: it said "reference: …", the verb's field.
    const again = await run("record", "--invoice", invoice.id, "--amount", "3.00", "--reference", "BT-9");
    expect(again.code).toBe(4);
    expect(again.stderr).toBe(
      `error: --reference: manual reference BT-9 is already a payment of $2.00 on invoice ${invoice.number}; ` +
        "a different payment needs its own reference\n",
    );
    expect(again.stderr).not.toContain("minor units");
  });

  it("names a credit note's total and what is left of the invoice in dollars", {
    timeout: 120_000,
  }, async () => {
    const over = await run("credit-note", "--invoice", invoice.number, "--amount", "10.00", "--reason", "x");
    expect(over.code).toBe(2);
    expect(over.stderr).toBe(
      `error: --amount: with its taxes the credit note comes to $10.00 (net $10.00), more than the $5.00 left of invoice ${invoice.number}\n`,
    );
  });
});
