import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { receivedWindow } from "../billing/payments/received-window.ts";
import type { ServiceError } from "../kernel/errors.ts";
import { inOptionTerms, optionForField } from "./option-names.ts";
import { addPaymentCommands } from "./payment-commands.ts";
import { paymentListRequest } from "./payment-list-command.ts";
import { MAX_LIMIT } from "./list-limit.ts";

// `payments list` takes the admin API's filters under its options' names and refuses what the API refuses, in
// the API's words against the option, before a database is opened.

afterEach(() => vi.unstubAllEnvs());

/** `tokenbill payments list …args` as main.ts runs it, up to its refusal worded in the command's terms. */
async function refusalOf(...args: string[]): Promise<string> {
  // A command that went as far as the database finds none it may open here (memory://: exit 78).
  vi.stubEnv("DATA_DIR", "memory://");
  const program = new Command("tokenbill").exitOverride().configureOutput({ writeErr: () => {} });
  let running: Command | undefined;
  program.hook("preAction", (_program, action) => {
    running = action;
  });
  addPaymentCommands(program.command("payments").exitOverride());
  const error = await program.parseAsync(["payments", "list", ...args], { from: "user" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return (inOptionTerms(error, running) as ServiceError).message;
}

describe("payments list's options", () => {
  it("are the API's filters", () => {
    expect(
      paymentListRequest({
        customer: "42",
        invoice: "INV-2026-000001",
        method: "bank_transfer",
        currency: "usd",
        from: "2026-11-01",
        to: "2026-11-30",
        limit: "20",
      }),
    ).toEqual({
      filters: {
        customer_id: "42",
        method: "bank_transfer",
        currency: "usd",
        received_from: "2026-11-01",
        received_to: "2026-11-30",
      },
      invoice: "INV-2026-000001",
      limit: 20,
    });
    expect(paymentListRequest({})).toEqual({ filters: {} });
  });

  it.each([
    [["--customer", "abc"], /^--customer: must be a customer id: a whole number from 1 to/],
    [["--invoice", "inv_zz"], "--invoice: must be an invoice id (inv_ and 1 to 64 of 0-9, a-f)"],
    [["--method", "Bank"], /^--method: must be a method name such as manual, bank_transfer, stripe/],
    [["--currency", "dollars"], "--currency: must be an ISO 4217 code such as USD"],
    [["--from", "2026-02-30"], "--from: is not a calendar date"],
    [["--to", "30.11.2026"], "--to: must be a date written YYYY-MM-DD"],
    [["--from", "1969-12-31"], "--from: must be a day from 1970-01-01 to 9999-12-31"],
    [["--limit", "0"], `--limit: must be a whole number from 1 to ${MAX_LIMIT}`],
    [["--limit", "1e3"], `--limit: must be a whole number from 1 to ${MAX_LIMIT}`],
  ])("refuse %j in the API's words, naming the option, before opening a database", async (args, words) => {
    expect(await refusalOf(...args)).toMatch(words);
  });

  it("name the option of each filter the verb refuses once the database is open (--to before --from)", () => {
    const payments = new Command("payments");
    addPaymentCommands(payments);
    const list = payments.commands.find((c) => c.name() === "list")!;
    const fields = ["customer_id", "invoice_id", "method", "currency", "received_from", "received_to"];
    expect(fields.map((f) => optionForField(list, f))).toEqual([
      "--customer",
      "--invoice",
      "--method",
      "--currency",
      "--from",
      "--to",
    ]);
  });

  it("say --to before --from in the options' words, not the API's received_from", () => {
    const payments = new Command("payments").exitOverride();
    addPaymentCommands(payments);
    const list = payments.commands.find((c) => c.name() === "list")!;
    list.parseOptions(["--from", "2026-11-02", "--to", "2026-11-01"]);
    // The verb's own refusal, as walkPayments meets it once the database is open.
    const refusal = (() => {
      try {
        receivedWindow("2026-11-02", "2026-11-01", "UTC");
      } catch (error) {
        return error;
      }
    })();
    expect((inOptionTerms(refusal, list) as ServiceError).message).toBe(
      "--to: must be on or after --from (2026-11-02)",
    );
  });

  it("no longer take --page: the list is walked to its end or to --limit", async () => {
    expect(await refusalOf("--page", "2")).toMatch(/unknown option '--page'/);
  });
});
