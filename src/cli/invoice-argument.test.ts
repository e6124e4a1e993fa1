import { beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";
import { issuedInvoicesIn, type NamedInvoice } from "../../test/helpers/command-invoices.ts";

// Every command's --invoice takes the invoice's id or its number, as `invoices void` does: `payments record`
// and `payments credit-note` took only the id (a number was "--invoice: must be an invoice id").

const { data, tokenbill } = commandsOnSharedDatabase();
let invoices: NamedInvoice[] = [];

const run = (...args: string[]) => tokenbill("payments", ...args);

beforeAll(async () => {
  invoices = await issuedInvoicesIn(data().handle, ["paid@example.com", "cn@example.com"]);
});

describe("an invoice named on the command line by its number", () => {
  // Each command is a process of its own: a few seconds apiece on a busy machine.
  it("is what payments record pays", { timeout: 120_000 }, async () => {
    const paid = invoices[0]!;
    const r = await run("record", "--invoice", paid.number, "--amount", "2.00", "--reference", "BT-77");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ invoice_id: paid.id, amount: 200 });
  });

  it("is what payments credit-note corrects", { timeout: 120_000 }, async () => {
    const corrected = invoices[1]!;
    const r = await run(
      "credit-note",
      "--invoice",
      corrected.number,
      "--amount",
      "1.00",
      "--reason",
      "goodwill",
    );
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ invoice_id: corrected.id });
  });

  it("that no invoice has is not found, as invoices void says", { timeout: 120_000 }, async () => {
    const r = await run("record", "--invoice", "INV-1999-000042", "--amount", "1", "--reference", "BT-78");
    expect([r.code, r.stderr]).toEqual([3, "error: invoice INV-1999-000042 not found\n"]);
  });
});
