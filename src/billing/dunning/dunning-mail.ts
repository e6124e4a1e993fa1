import { escapeHtml } from "../documents/html-escape.ts";
import { formatMinorNamed, type CurrencyDisplay } from "../../domain/money.ts";
import type { DunningEmailKind } from "./dunning-ladder.ts";

// The texts of dunning's e-mails (billing-rules §8): pure, so each is a unit test. Plain words, the invoices
// still open with what is due on each, and what happens next.

export interface DunningMailInput {
  kind: DunningEmailKind;
  customer: { name: string; email: string };
  seller: { name: string; email: string };
  from: string;
  currency: CurrencyDisplay;
  /** The invoices still unpaid, earliest due date first. */
  invoices: { number: string; due_date: string; amount_due: bigint }[];
}

export interface DunningMail {
  to: { name: string; address: string };
  from: string;
  replyTo: string;
  subject: string;
  text: string;
  html: string;
}

const OPENING: Record<DunningEmailKind, (first: string) => string> = {
  reminder: (due) => `A friendly reminder: the invoice below is due on ${due}.`,
  first_overdue: (due) => `We have not yet received payment for the invoice below, which was due on ${due}.`,
  second_overdue: (due) =>
    `Payment for the invoice below, due on ${due}, is still outstanding. Your account has been locked: ` +
    "your servers keep running, but no new servers can be created until it is paid.",
  final_notice: (due) =>
    `Final notice: payment due on ${due} is still outstanding. Your account has been suspended and your ` +
    "servers have been stopped. They start again once the amount due is paid.",
};

const SUBJECT: Record<DunningEmailKind, string> = {
  reminder: "Payment reminder",
  first_overdue: "Your invoice is overdue",
  second_overdue: "Second notice: account locked",
  final_notice: "Final notice: account suspended",
};

export function buildDunningEmail(input: DunningMailInput): DunningMail {
  const first = input.invoices[0];
  if (!first) throw new Error("a dunning e-mail needs at least one unpaid invoice");
  const total = input.invoices.reduce((s, i) => s + i.amount_due, 0n);
  // Every amount named as the subject names it: a currency without prefix or suffix by its ISO code.
  const money = (minor: bigint) => formatMinorNamed(minor, input.currency);
  const lines = input.invoices.map((i) => `Invoice ${i.number}, due ${i.due_date}: ${money(i.amount_due)}`);
  const paragraphs = [
    `Dear ${input.customer.name || input.customer.email},`,
    OPENING[input.kind](first.due_date),
    lines.join("\n"),
    `Total due: ${money(total)}`,
    "If you have paid in the meantime, thank you, and please disregard this message.",
    `Questions: ${input.seller.email}`,
    input.seller.name,
  ];
  return {
    to: { name: input.customer.name, address: input.customer.email },
    from: input.from,
    replyTo: input.seller.email,
    subject: `${SUBJECT[input.kind]}: ${money(total)} due to ${input.seller.name}`.replace(/[\r\n\t]+/g, " "),
    text: `${paragraphs.join("\n\n")}\n`,
    html: `${paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("\n")}\n`,
  };
}
