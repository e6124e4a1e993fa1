import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import { sql } from "kysely";
import { MAX_AMOUNT_MINOR } from "../../domain/money.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { emitInvoiceEvents } from "../invoices/emit-invoice-event.ts";
import { type LedgerLine, postLedgerEvent } from "../ledger/ledger.ts";
import { minAmount } from "../payments/allocate.ts";
import { fieldError, MoneyRefusal } from "../payments/field-error.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import {
  amountsDue,
  lockCustomerForMoney,
  requestDunningEvaluation,
  settleInvoiceStatuses,
} from "../payments/invoice-settlement.ts";
import { payOpenInvoicesFromCredit } from "../payments/pay-open-invoices-from-credit.ts";
import { recordRefundIn, refundedSoFar } from "../payments/refund-payment.ts";
import { PROVIDER_METHODS, ProviderNotCarriedOutError } from "../providers/payment-provider.ts";
import { paymentProviderOf } from "../providers/provider-from-config.ts";
import { MIN_RESERVATION_AGE_MINUTES } from "../providers/reservation-age.ts";
import { enqueue } from "../../jobs/enqueue-job.ts";
import { askForCreditNoteRefund, refundStatusOf } from "./credit-note-refund.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { lockNumberCounter, numberSequence, setNumberCounter } from "../runs/invoice-number.ts";
import { type CreditNote, IssueCreditNoteInput, presentCreditNote } from "./credit-note-schemas.ts";
import { creditNoteTaxes } from "./credit-note-taxes.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * Issues a credit note against an issued invoice (billing-rules §7): numbered in its own gapless series
 * (CREDIT_NOTE_NUMBER_FORMAT, its counter row locked like invoice numbers'), taxed by §4 on its net, its
 * total never above what is left of the invoice (total − earlier credit notes), nor any tax above what is
 * left of it. Ledger event `cn:<id>`: sales +C; receivable −min(C, due); the rest — the part the invoice had
 * been paid — becomes credit, or with settlement "refund" goes back to the invoice's payments, newest payment
 * first. A payment tokenbill recorded by hand is refunded at once (cash −, one refund row each). A card
 * payment's share stays credit, held by a pending refund row written with the note, and is refunded through
 * its provider after the note commits (credit-note-refund.ts): pending until the provider's webhook settles
 * it, which takes back that credit. Whatever no payment can return (what credit had paid, the rest of a card
 * share the provider cannot refund exactly) stays credit and pays open invoices at once.
 */
export const issueCreditNote = defineVerb(
  IssueCreditNoteInput,
  async ({ ctx, input }): Promise<CreditNote> => {
    await requireStaffRole(ctx, ...BILLING_ROLES);
    const { note, reserved } = await withTransaction(ctx, async (tx) => {
      // The key's answer commits with the note: a replay gets the note and never reaches the provider again.
      await claimIdempotencyKey(tx, ctx.idempotency);
      const issued = await issueIn(tx, input);
      await answerIdempotencyKey(tx, ctx.idempotency, issued.note);
      return issued;
    });
    // Each card share is reserved and held already; the provider is asked now, and by the note's
    // credit_note.refund job should this call not happen or get no answer (credit-note-refund.ts).
    for (const refundId of reserved) {
      try {
        await askForCreditNoteRefund(ctx, refundId);
      } catch (error) {
        // Only a refusal failed the reservation (its amount is credit again and paid open invoices). Any
        // other error (the database after the provider's answer, say) left it pending for the note's job.
        const status = await refundStatusOf(ctx, refundId).catch(() => undefined);
        // A rate limit or a refused key was logged where it was met, with its reason and Retry-After
        // (refund-through-provider.ts): one event, one line (until 2026-12-07 this added a second warning).
        if (status === "pending" && error instanceof ProviderNotCarriedOutError) continue;
        ctx.logger.warn(
          { err: error, creditNote: note.id, refund: refundId },
          status === "failed"
            ? "the payment provider refused a credit note's refund: the amount stays credit"
            : "credit note's refund through the payment provider was not completed: the reservation stays pending, holding its amount, and the note's credit_note.refund job asks again",
        );
      }
    }
    return note;
  },
);

/** A card payment's share of a credit note's refund: what it came to, and what the provider can refund of it. */
interface ProviderRefundDue {
  paymentId: string;
  share: bigint;
  amount: bigint;
}

async function issueIn(
  tx: TxContext,
  input: IssueCreditNoteInput,
): Promise<{ note: CreditNote; reserved: string[] }> {
  const trx = tx.db;
  const target = await trx
    .selectFrom("invoice")
    .select("customer_id")
    .where("id", "=", input.invoice_id)
    .executeTakeFirst();
  if (!target) throw fieldError("NOT_FOUND", "invoice_id", `invoice ${input.invoice_id} not found`);
  await lockCustomerForMoney(trx, target.customer_id);
  const invoice = await trx
    .selectFrom("invoice")
    .selectAll()
    .where("id", "=", input.invoice_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (invoice.status === "draft" || invoice.status === "void") {
    throw fieldError(
      "CONFLICT",
      "invoice_id",
      `invoice ${invoice.id} is ${invoice.status}; only an issued invoice can be credited`,
    );
  }

  const field = input.lines ? "lines" : "amount";
  const earlier = await trx
    .selectFrom("credit_note")
    .select(["net", "total", "taxes", "lines"])
    .where("invoice_id", "=", invoice.id)
    .execute();
  let net: bigint;
  let lines: { position: number; amount: bigint }[] = [];
  if (input.lines) {
    const stored = await trx
      .selectFrom("invoice_line")
      .select(["position", "amount"])
      .where("invoice_id", "=", invoice.id)
      .execute();
    const byPosition = new Map(stored.map((l) => [l.position, l.amount]));
    const creditedBefore = lineCredits(earlier);
    for (const [i, l] of input.lines.entries()) {
      const lineAmount = byPosition.get(l.position);
      if (lineAmount === undefined)
        throw fieldError(
          "VALIDATION",
          `lines.${i}.position`,
          `invoice ${invoice.id} has no line ${l.position}`,
        );
      const before = creditedBefore.get(l.position) ?? 0n;
      if (l.amount > lineAmount - before)
        throw fieldError(
          "VALIDATION",
          `lines.${i}.amount`,
          before === 0n
            ? `must not exceed the line's amount ${lineAmount}`
            : `must not exceed what is left of the line: ${lineAmount - before} (its amount ${lineAmount} less ${before} credited against it by earlier credit notes)`,
        );
    }
    lines = [...input.lines].sort((a, b) => a.position - b.position);
    net = lines.reduce((s, l) => s + l.amount, 0n);
    // Each line is within the limit of a money input (src/domain/money.ts); so must their sum be, as an
    // amount given whole is.
    if (net > MAX_AMOUNT_MINOR)
      throw fieldError(
        "VALIDATION",
        "lines",
        `the lines add up to ${net}; a credit note's net amount must be at most ${MAX_AMOUNT_MINOR} minor units (10^15)`,
      );
  } else {
    net = input.amount as bigint;
  }

  const currency = invoice.currency as { exponent: number };
  const rates = (invoice.taxes as { label: string; rate: string }[]).map((t) => ({
    label: t.label,
    rate: t.rate,
  }));
  const { taxes, total } = creditNoteTaxes({
    net,
    rates,
    compound: invoice.tax_compound,
    exponent: currency.exponent,
    rounding: tx.config.ROUNDING_MODE,
    taxLeft: taxLeftOf(invoice.taxes, earlier),
    // The note that credits the rest of the invoice's net credits the rest of its taxes (credit-note-taxes.ts).
    creditsRest: net >= earlier.reduce((l, note) => l - note.net, invoice.net),
  });
  const left = earlier.reduce((l, note) => l - note.total, invoice.total);
  if (total > left) {
    const code = invoice.currency_code;
    throw new MoneyRefusal(
      "VALIDATION",
      field,
      `the credit note's total ${total} (net ${net} + taxes) exceeds what is left of invoice ${invoice.number}: ${left} (minor units)`,
      (money) =>
        `with its taxes the credit note comes to ${money(total, code)} (net ${money(net, code)}), more than the ${money(left, code)} left of invoice ${invoice.number}`,
    );
  }

  const now = tx.now();
  const issueDate = calendarDate(now, tx.config.BILLING_TIME_ZONE);
  const number = await nextNumber(trx, tx.config.CREDIT_NOTE_NUMBER_FORMAT, issueDate);
  const creditNoteId = timeOrderedId("cn");
  const row = await trx
    .insertInto("credit_note")
    .values({
      id: creditNoteId,
      invoice_id: invoice.id,
      customer_id: invoice.customer_id,
      number: number.number,
      number_sequence: number.sequence,
      number_value: number.value,
      currency_code: invoice.currency_code,
      currency: JSON.stringify(invoice.currency),
      net,
      tax_total: total - net,
      total,
      taxes: JSON.stringify(taxes.map((t) => ({ ...t, amount: String(t.amount) }))),
      lines: JSON.stringify(lines.map((l) => ({ position: l.position, amount: String(l.amount) }))),
      reason: input.reason,
      settlement: input.settlement,
      issue_date: issueDate,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();

  const due = (await amountsDue(trx, [invoice.id])).get(invoice.id) ?? 0n;
  const lowered = minAmount(total, due);
  let rest = total - lowered;
  const ids = { creditNoteId };
  const ledger: LedgerLine[] = [
    { account: "sales", amount: total, ...ids },
    { account: "receivable", amount: -lowered, invoiceId: invoice.id, ...ids },
  ];
  const refunds: { id: string; payment_id: string; amount: bigint }[] = [];
  const throughProvider: ProviderRefundDue[] = [];
  if (input.settlement === "refund" && rest > 0n) {
    const payments = await trx
      .selectFrom("ledger_entry")
      .innerJoin("payment", "payment.id", "ledger_entry.payment_id")
      .select(["payment.id", "payment.amount", "payment.paid_at", "payment.method", "payment.reference"])
      .select(sql<bigint>`(-sum(ledger_entry.amount))::bigint`.as("paid_here"))
      .where("ledger_entry.invoice_id", "=", invoice.id)
      .where("ledger_entry.account", "=", "receivable")
      .groupBy(["payment.id", "payment.amount", "payment.paid_at", "payment.method", "payment.reference"])
      .having(sql`sum(ledger_entry.amount)`, "<", 0)
      .orderBy("payment.paid_at", "desc")
      .orderBy("payment.id", "desc")
      .execute();
    const returnedHere = await returnedByNotesOf(trx, invoice.id);
    for (const p of payments) {
      if (rest === 0n) break;
      // A payment gets back at most what it paid on this invoice and earlier notes on it have not returned:
      // the rest of a customer payment pays other invoices, and refunding it here would leave them paid by
      // money returned, which a later refund of another payment of this invoice could then find nowhere.
      const share = BigInt(p.paid_here) - (returnedHere.get(p.id) ?? 0n);
      const refundable = p.amount - (await refundedSoFar(trx, p.id));
      const x = minAmount(minAmount(refundable, share), rest);
      if (x <= 0n) continue;
      rest -= x;
      if (PROVIDER_METHODS.has(p.method)) {
        // Only the provider can return a card payment: its share stays credit here, and what the provider can
        // refund of it is reserved below (held), and asked for once this transaction has committed; the
        // refund takes that credit back when the provider settles it. What it cannot (the rest of a KWD
        // share below 0.010; no provider configured) stays the customer's credit to spend.
        throughProvider.push({
          paymentId: p.id,
          share: x,
          amount: await refundableShare(tx, p.method, x, invoice.currency_code),
        });
        continue;
      }
      const refundId = timeOrderedId("ref");
      await trx
        .insertInto("refund")
        .values({
          id: refundId,
          payment_id: p.id,
          amount: x,
          reason: `credit note ${number.number}`,
          status: "succeeded",
          credit_note_id: creditNoteId,
          created_at: now,
        })
        .execute();
      ledger.push({ account: "cash", amount: -x, paymentId: p.id, refundId, ...ids });
      refunds.push({ id: refundId, payment_id: p.id, amount: x });
    }
  }
  const toCredit = throughProvider.reduce((sum, r) => sum + r.share, rest);
  ledger.push({ account: "credit", amount: -toCredit, ...ids });
  await postLedgerEvent(trx, {
    id: `cn:${creditNoteId}`,
    kind: "credit_note",
    customerId: invoice.customer_id,
    currency: invoice.currency_code,
    at: now,
    lines: ledger,
  });

  // Each card share the provider can refund is reserved in this transaction: a pending refund row, which
  // holds its credit from the commit on (spendable-credit.ts), and a job that asks the provider should the
  // request not get to it after the commit (credit-note-refund.ts).
  const reserved: string[] = [];
  for (const due of throughProvider) {
    if (due.amount === 0n) continue;
    const refund = await recordRefundIn(trx, tx, {
      payment_id: due.paymentId,
      amount: due.amount,
      reason: `credit note ${number.number}`,
      status: "pending",
      credit_note_id: creditNoteId,
    });
    await enqueue(
      trx,
      "credit_note.refund",
      { refund_id: refund.id },
      {
        slot: `credit_note.refund:${refund.id}`,
        runAfter: new Date(now.getTime() + MIN_RESERVATION_AGE_MINUTES * 60_000),
      },
    );
    reserved.push(refund.id);
  }

  // What became credit first pays the customer's other open invoices, oldest first (docs/payments.md,
  // "Credit"), a rounded-off rest of a card share included; the reserved card shares stay held until their
  // provider refunds take them back. Only `invoice.paid` is announced on those invoices:
  // `credit_note.issued` e-mails the note, once.
  const creditPaid = await payOpenInvoicesFromCredit(trx, tx, {
    customerId: invoice.customer_id,
    currency: invoice.currency_code,
    at: now,
    sourceEventId: `cn:${creditNoteId}`,
  });
  const changes = await settleInvoiceStatuses(trx, [invoice.id, ...creditPaid.map((a) => a.invoiceId)], now);
  await emitInvoiceEvents(trx, {
    event: "credit_note.issued",
    invoiceIds: [invoice.id],
    at: now,
    subject: { credit_note_id: creditNoteId },
  });
  for (const r of refunds) {
    await emitInvoiceEvents(trx, {
      event: "payment.refunded",
      invoiceIds: [invoice.id],
      at: now,
      subject: { payment_id: r.payment_id, refund_id: r.id },
    });
  }
  const note = presentCreditNote(row);
  await recordAudit(trx, tx, {
    action: "issue",
    entity: "credit_note",
    entityId: creditNoteId,
    before: null,
    after: {
      number: note.number,
      invoice_id: invoice.id,
      net: String(net),
      total: String(total),
      settlement: input.settlement,
      lowered_due: String(lowered),
      refunds: refunds.map((r) => ({ ...r, amount: String(r.amount) })),
      refunds_through_provider: throughProvider.map((r) => ({
        payment_id: r.paymentId,
        amount: String(r.amount),
      })),
      credit: String(toCredit),
      credit_applied: creditPaid.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
      invoice_states: changes,
    },
  });
  await requestDunningEvaluation(trx, invoice.customer_id);
  return { note, reserved };
}

/**
 * What of a card payment's `share` its provider can refund exactly (Stripe refunds KWD only in multiples of
 * 0.010); 0 when that provider is not configured, so the share stays credit instead of being held for a
 * refund nobody can make.
 */
async function refundableShare(
  tx: TxContext,
  method: string,
  share: bigint,
  currencyCode: string,
): Promise<bigint> {
  const provider = await paymentProviderOf(tx.config);
  if (!provider || provider.name !== method) return 0n;
  // The currency as the provider's refund will be asked in (refund-through-provider.ts reads it so too).
  const currency = await tx.db
    .selectFrom("currency")
    .select(["code", "exponent"])
    .where("code", "=", currencyCode)
    .executeTakeFirstOrThrow();
  return provider.refundableUpTo(share, currency);
}

/**
 * Per payment, what credit notes on the invoice have refunded of it (not failed; a pending card refund holds
 * its amount). Such a refund leaves the payment's receivable entries as they were, so it is counted here.
 */
async function returnedByNotesOf(trx: TxContext["db"], invoiceId: string): Promise<Map<string, bigint>> {
  const rows = await trx
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select(["refund.payment_id", sql<bigint>`sum(refund.amount)::bigint`.as("returned")])
    .where("credit_note.invoice_id", "=", invoiceId)
    .where("refund.status", "<>", "failed")
    .groupBy("refund.payment_id")
    .execute();
  return new Map(rows.map((r) => [r.payment_id, BigInt(r.returned)]));
}

/**
 * Per invoice line (position), what earlier credit notes given as lines credited against it. A note given as
 * an amount names no line, so it counts only against the invoice's total.
 */
function lineCredits(earlier: readonly { lines: unknown }[]): Map<number, bigint> {
  const credited = new Map<number, bigint>();
  for (const note of earlier) {
    for (const l of (note.lines ?? []) as { position: number; amount: string }[]) {
      credited.set(l.position, (credited.get(l.position) ?? 0n) + BigInt(l.amount));
    }
  }
  return credited;
}

/** What the invoice charged of each tax, less what earlier credit notes credited of it (by position). */
function taxLeftOf(invoiceTaxes: unknown, earlier: readonly { taxes: unknown }[]): bigint[] {
  const left = (invoiceTaxes as { amount: string | number }[]).map((t) => BigInt(t.amount));
  for (const note of earlier) {
    for (const [i, t] of (note.taxes as { amount: string }[]).entries()) {
      if (i < left.length) left[i]! -= BigInt(t.amount);
    }
  }
  return left;
}

/** The next number of the credit note series, gapless: the counter row is locked until commit. */
async function nextNumber(trx: TxContext["db"], format: string, issueDate: string) {
  const sequence = numberSequence(format, issueDate);
  const value = (await lockNumberCounter(trx, sequence.key)) + 1n;
  await setNumberCounter(trx, sequence.key, value);
  return { sequence: sequence.key, value, number: sequence.format(value) };
}
