import { beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";
import { issuedInvoicesIn, type NamedInvoice } from "../../test/helpers/command-invoices.ts";

// `tokenbill invoices void` and `reissue` as an operator runs them, on an embedded database the commands
// share (held by this test as serve holds it): the admin API's verbs (docs/billing-cycle.md, "Voiding and reissuing") with the CLI as the actor,
// the same audit rows, and refusals as exit codes naming the option.

const { data, tokenbill } = commandsOnSharedDatabase();
let byNumber = { id: "", number: "" };
let byId = { id: "", number: "" };
let finalized = { id: "", number: "" };

const run = (...args: string[]) => tokenbill("invoices", ...args);

beforeAll(async () => {
  const invoices = await issuedInvoicesIn(data().handle, [
    "voided@example.com",
    "later@example.com",
    "kept@example.com",
  ]);
  [byNumber, byId, finalized] = invoices as [NamedInvoice, NamedInvoice, NamedInvoice];
});

describe("tokenbill invoices", () => {
  // Each command is a process of its own: a few seconds apiece on a busy machine.
  it("voids an invoice named by its number and releases its month, printing the API's invoice", {
    timeout: 120_000,
  }, async () => {
    const voided = await run(
      "void",
      "--invoice",
      byNumber.number,
      "--reason",
      "VAT missing",
      "--reissue",
      "--json",
    );
    expect([voided.code, voided.stderr]).toEqual([0, ""]);
    const invoice = JSON.parse(voided.stdout);
    expect(invoice).toMatchObject({
      id: byNumber.id,
      number: byNumber.number,
      status: "void",
      amount_due: 0,
      void: { reason: "VAT missing", released_at: expect.any(String) },
    });

    const again = await run("void", "--invoice", byNumber.id, "--reason", "twice");
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("only a draft or finalized invoice can be voided");
  });

  it("voids without reissue, then reissues, saying what the next run does", {
    timeout: 120_000,
  }, async () => {
    const voided = await run("void", "--invoice", byId.id, "--reason", "customer disputes the month");
    expect(voided).toMatchObject({ code: 0, stderr: "" });
    expect(voided.stdout).toBe(`invoice ${byId.number} is void; its number stays used\n`);

    const reissued = await run("reissue", "--invoice", byId.number);
    expect(reissued).toMatchObject({ code: 0, stderr: "" });
    expect(reissued.stdout).toMatch(
      new RegExp(
        `^invoice ${byId.number} is released for reissue: the next run of (\\d{4}-\\d\\d) \\(tokenbill billing run --period \\1\\) bills the customer on a new invoice\\n$`,
      ),
    );
    const twice = await run("reissue", "--invoice", byId.id);
    expect(twice.code).toBe(4);
    expect(twice.stderr).toContain("already released for reissue");

    // The same audit rows as the API's, with the command line as the actor.
    const audit = await data()
      .handle.db.selectFrom("audit_log")
      .select(["actor", "action", "entity_id"])
      .where("entity", "=", "invoice")
      .where("action", "in", ["invoice.void", "invoice.reissue"])
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { actor: "cli", action: "invoice.void", entity_id: byNumber.id },
      { actor: "cli", action: "invoice.reissue", entity_id: byNumber.id },
      { actor: "cli", action: "invoice.void", entity_id: byId.id },
      { actor: "cli", action: "invoice.reissue", entity_id: byId.id },
    ]);
  });

  // The verb's refusal words the API's body field ("reissue": true), which the command line has as an option.
  it("refuses to reissue an invoice not void, naming void's --reissue option, not the API's field", {
    timeout: 120_000,
  }, async () => {
    const refused = await run("reissue", "--invoice", finalized.number, "--json");
    expect(refused.code).toBe(4);
    const hint = `void it first (tokenbill invoices void --invoice ${finalized.number} --reason … --reissue does both)`;
    expect(refused.stderr).toBe(
      `error: invoice ${finalized.id} is finalized; only a void invoice can be reissued — ${hint}\n`,
    );
    expect(JSON.parse(refused.stdout).error.message).toContain(hint);
  });

  it("refuses bad input naming the option, and an unknown invoice as not found", {
    timeout: 120_000,
  }, async () => {
    const control = await run("void", "--invoice", byId.id, "--reason", "bad\u001b[2Jreason");
    expect(control.code).toBe(2);
    expect(control.stderr).toMatch(/^error: --reason: /);
    const empty = await run("void", "--invoice", byId.id, "--reason", " ");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^error: --reason: /);
    const badId = await run("reissue", "--invoice", "inv_XYZ");
    expect([badId.code, badId.stderr]).toEqual([2, "error: --invoice: must be an invoice id (inv_…)\n"]);
    const unknown = await run("reissue", "--invoice", "INV-1999-000042");
    expect([unknown.code, unknown.stderr]).toEqual([3, "error: invoice INV-1999-000042 not found\n"]);
  });
});
