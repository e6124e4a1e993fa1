import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ServiceError } from "../kernel/errors.ts";
import { inOptionTerms } from "./option-names.ts";
import { majorToMinor, recordDetails } from "./payment-actions.ts";
import { addPaymentCommands } from "./payment-commands.ts";

describe("amounts typed on the command line", () => {
  it("convert exactly to minor units with the currency's exponent", () => {
    expect(majorToMinor("12.34", 2)).toBe(1234n);
    expect(majorToMinor("12", 2)).toBe(1200n);
    expect(majorToMinor("12.3", 2)).toBe(1230n);
    expect(majorToMinor("1500", 0)).toBe(1500n);
    expect(majorToMinor("0.001", 3)).toBe(1n);
  });

  it.each(["12.345", "-1", "0", "0.00", "1e3", "", "12,34", "abc"])("refuse %j naming the field", (text) => {
    expect(() => majorToMinor(text, 2)).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: "amount" })] }),
    );
  });
});

describe("payments record's options but the amount", () => {
  const base = { invoice: "inv_01", method: "manual", reference: "BT-1" };

  it("are the verb's input, --date as paid_at", () => {
    expect(recordDetails({ ...base, date: "2026-11-20" })).toEqual({
      invoice_id: "inv_01",
      method: "manual",
      reference: "BT-1",
      paid_at: "2026-11-20",
    });
    expect(recordDetails({ customer: "7", method: "manual", reference: "BT-1" })).toEqual({
      customer_id: "7",
      method: "manual",
      reference: "BT-1",
    });
  });

  // Before the database is opened: `--date ""` was taken for no date and the payment recorded as of now.
  it.each(["", "tomorrow", "2026-02-30"])("refuse --date %j, saying which dates are taken", (date) => {
    expect(() => recordDetails({ ...base, date })).toThrow(
      "paid_at: must be a date written YYYY-MM-DD (a day that exists) or an ISO 8601 instant with its offset",
    );
  });

  it("refuse a bad method or reference, and neither or both of --invoice and --customer", () => {
    expect(() => recordDetails({ ...base, method: "" })).toThrow(/^method: must be a method name/);
    expect(() => recordDetails({ ...base, reference: " " })).toThrow("reference: must not be empty");
    expect(() => recordDetails({ method: "manual", reference: "BT-1" })).toThrow(
      "invoice: name exactly one of --invoice and --customer",
    );
    expect(() => recordDetails({ ...base, customer: "7" })).toThrow(/name exactly one/);
  });
});

describe("payments show", () => {
  // A command that went as far as the database finds none it may open here (memory://: exit 78), not ./data.
  afterEach(() => vi.unstubAllEnvs());
  /** `tokenbill payments show …args` as main.ts runs it, up to the refusal worded in the command's terms. */
  async function refusalOf(...args: string[]): Promise<string> {
    vi.stubEnv("DATA_DIR", "memory://");
    const program = new Command("tokenbill").exitOverride();
    let running: Command | undefined;
    program.hook("preAction", (_program, action) => {
      running = action;
    });
    addPaymentCommands(program.command("payments").exitOverride());
    const error = await program.parseAsync(["payments", "show", ...args], { from: "user" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return (inOptionTerms(error, running) as ServiceError).message;
  }

  it("refuses an id that is neither a payment's nor a credit note's, naming both, before opening a database", async () => {
    // It said "must be a payment id (pay_…)" for any id but cn_…, although a credit note id is taken too.
    const both = "<id>: must be a payment id (pay_…) or a credit note id (cn_…)";
    for (const id of ["foo", "pay_x", "cn_zz", "PAY_1", "inv_1", ""]) expect(await refusalOf(id)).toBe(both);
  });

  it("says in its help that it takes a payment id or a credit note id", () => {
    const payments = new Command("payments");
    addPaymentCommands(payments);
    const show = payments.commands.find((c) => c.name() === "show")!;
    expect(show.helpInformation()).toMatch(
      /Arguments:\n\s+id\s+a payment id \(pay_…\) or a credit note id \(cn_…\)/,
    );
  });
});
