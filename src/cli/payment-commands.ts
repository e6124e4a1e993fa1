import type { Command } from "commander";
import { PAID_AT_MAX_AGE_YEARS } from "../billing/payments/paid-at-window.ts";
import {
  DEFAULT_RESERVATION_AGE_MINUTES,
  MIN_RESERVATION_AGE_MINUTES,
} from "../billing/providers/reservation-age.ts";
import { feedsVerbs } from "./cli-text-input.ts";
import { INVOICE_ARGUMENT_HELP } from "./invoice-argument.ts";
import { ALWAYS_JSON_HELP } from "./json-errors.ts";
import type { RecordOptions } from "./payment-actions.ts";
import { addPaymentListCommand } from "./payment-list-options.ts";
import { addProviderEventCommands } from "./provider-event-commands.ts";

// `tokenbill payments …`: the commands, their options and their words. What they do is in payment-actions.ts,
// imported when one of them runs: imported here, `payments --help` loaded the payment verbs, the database's
// modules and 85 more of the project's (light-commands-load.test.ts holds the count).

/** The commands' actions, imported when one runs. */
const actions = () => import("./payment-actions.ts");

/** What `payments show` takes: the ids getPayment and getCreditNote take, and nothing else. */
export const SHOWN_ID = "a payment id (pay_…) or a credit note id (cn_…)";

/** The `payments` group's commands, added to `payments` (main.ts makes the group and loads this file when it runs). */
export function addPaymentCommands(payments: Command): void {
  payments
    .command("record")
    .description("record a payment against an invoice, or against a customer (oldest open invoices first)")
    .option("--invoice <id>", `the invoice paid: ${INVOICE_ARGUMENT_HELP}`)
    .option("--customer <id>", "the customer who paid, when no invoice is named")
    .requiredOption("--amount <amount>", "the amount received in the currency's unit, e.g. 12.34")
    .option("--method <method>", "manual, bank_transfer, …", "manual")
    .requiredOption("--reference <reference>", "bank or gateway reference, unique per method")
    .option(
      "--date <date>",
      `when the money arrived: YYYY-MM-DD (that day in BILLING_TIME_ZONE) or an ISO 8601 instant; at most a day ahead and ${PAID_AT_MAX_AGE_YEARS} years back (default: now)`,
    )
    .option("--json", ALWAYS_JSON_HELP)
    .action(async (opts: RecordOptions & { amount: string }) => (await actions()).recordAction(opts));

  payments
    .command("refund")
    .description("refund (part of) a payment: its unused credit first, then its invoices newest first")
    .requiredOption("--payment <id>", "the payment (pay_…)")
    .requiredOption("--amount <amount>", "the amount returned in the currency's unit, e.g. 12.34")
    .option("--reason <text>", "why", "")
    .option("--json", ALWAYS_JSON_HELP)
    .action(async (opts: { payment: string; amount: string; reason: string }) =>
      (await actions()).refundAction(opts),
    );

  payments
    .command("refund-release")
    .description(
      "release a refund reservation left pending when its call to the payment provider never ran: the " +
        "provider is asked first; what it has is settled as its webhook would, else the reservation fails",
    )
    .requiredOption("--refund <id>", "the pending refund (ref_…)")
    .option(
      "--older-than-minutes <n>",
      `refuse a reservation younger than this (at least ${MIN_RESERVATION_AGE_MINUTES}; default ${DEFAULT_RESERVATION_AGE_MINUTES})`,
    )
    .option("--json", ALWAYS_JSON_HELP)
    .action(async (opts: { refund: string; olderThanMinutes?: string }) =>
      (await actions()).refundReleaseAction(opts),
    );

  payments
    .command("show")
    .description("a payment or a credit note")
    .argument("<id>", SHOWN_ID)
    .option("--json", ALWAYS_JSON_HELP)
    .action(async (id: string) => (await actions()).showAction(id));

  addPaymentListCommand(payments);

  payments
    .command("credit-note")
    .description("issue a credit note against an issued invoice (a net amount; taxes are added by §4)")
    .requiredOption("--invoice <id>", `the invoice corrected: ${INVOICE_ARGUMENT_HELP}`)
    .requiredOption("--amount <amount>", "the net amount credited, in the currency's unit")
    .requiredOption("--reason <text>", "why")
    .option("--refund", "return the part already paid to the payments instead of keeping it as credit")
    .option("--json", ALWAYS_JSON_HELP)
    .action(async (opts: { invoice: string; amount: string; reason: string; refund?: boolean }) =>
      (await actions()).creditNoteAction(opts),
    );

  payments
    .command("statement")
    .description("a customer's statement: invoices, payments, refunds, credit notes, running balance")
    .requiredOption("--customer <id>", "the customer")
    .option("--json", "print it as JSON (amounts in minor units)")
    .action(async (opts: { customer: string; json?: boolean }) => (await actions()).statementAction(opts));
  addProviderEventCommands(payments);
  feedsVerbs(payments, async () => (await actions()).paymentVerbInputs);
}
