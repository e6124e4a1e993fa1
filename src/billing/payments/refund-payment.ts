import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import { sql } from "kysely";
import type { RefundStatus } from "../../db/schema.ts";
import { MAX_AMOUNT_MINOR } from "../../domain/money.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { emitInvoiceEvents } from "../invoices/emit-invoice-event.ts";
import { postLedgerEvent } from "../ledger/ledger.ts";
import { type Allocation, allocateOldestFirst, minAmount, planRefund } from "./allocate.ts";
import { fieldError, MoneyRefusal } from "./field-error.ts";
import {
  lockCustomerForMoney,
  lockOpenInvoicesOldestFirst,
  requestDunningEvaluation,
  settleInvoiceStatuses,
} from "./invoice-settlement.ts";
import { presentRefund, type Refund } from "./payment-schemas.ts";
import { payOpenInvoicesFromCredit } from "./pay-open-invoices-from-credit.ts";
import { paymentCreditHeld, spendableCredit } from "./spendable-credit.ts";

export interface RefundRequest {
  payment_id: string;
  amount: bigint;
  reason?: string;
  /** A provider's refund starts pending (no ledger entry) until the provider confirms it. */
  status: RefundStatus;
  provider_refund_id?: string | null;
  /** A credit note's refund (settlement "refund"): when it succeeds it takes back the credit the note left. */
  credit_note_id?: string | null;
  /** A provider's refund recorded apart from the refund row its metadata names (applyRefundFact). */
  names_refund_id?: string | null;
}

/**
 * Writes a refund inside the caller's transaction; a succeeded one posts its ledger event at once. A failed one
 * (a provider's refund first heard of as failed) holds nothing, so what is left to refund does not limit it.
 */
export async function recordRefundIn(trx: Tx, ctx: ServiceContext, request: RefundRequest): Promise<Refund> {
  if (request.amount <= 0n)
    throw fieldError("VALIDATION", "amount", "must be a positive whole number of minor units");
  // RefundInput checks the API's, the CLI's and the console's; a provider's refund arrives here unparsed.
  if (request.amount > MAX_AMOUNT_MINOR)
    throw fieldError("VALIDATION", "amount", `must be at most ${MAX_AMOUNT_MINOR} minor units (10^15)`);
  const payment = await trx
    .selectFrom("payment")
    .select(["id", "customer_id", "amount", "currency_code"])
    .where("id", "=", request.payment_id)
    .executeTakeFirst();
  if (!payment) throw fieldError("NOT_FOUND", "payment_id", `payment ${request.payment_id} not found`);
  await lockCustomerForMoney(trx, payment.customer_id);
  const left = payment.amount - (await refundedSoFar(trx, payment.id));
  if (request.status !== "failed" && request.amount > left) {
    throw new MoneyRefusal(
      "VALIDATION",
      "amount",
      `at most ${left} (minor units) of payment ${payment.id} is left to refund`,
      (money) => `at most ${money(left, payment.currency_code)} of this payment is left to refund`,
    );
  }
  const creditHeld =
    request.status === "pending" && !request.credit_note_id
      ? await creditToHold(trx, payment.id, payment.customer_id, payment.currency_code, request.amount)
      : 0n;
  const now = ctx.now();
  const row = await trx
    .insertInto("refund")
    .values({
      id: timeOrderedId("ref"),
      payment_id: payment.id,
      amount: request.amount,
      reason: request.reason ?? "",
      status: request.status,
      provider_refund_id: request.provider_refund_id ?? null,
      credit_note_id: request.credit_note_id ?? null,
      names_refund_id: request.names_refund_id ?? null,
      credit_held: creditHeld,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const posted = request.status === "succeeded" ? await postRefund(trx, ctx, row.id) : null;
  await recordAudit(trx, ctx, {
    action: "refund",
    entity: "payment",
    entityId: payment.id,
    before: null,
    after: { refund: presentRefund(row), ...posted },
  });
  return presentRefund(row);
}

/**
 * What a pending provider refund of a payment holds of the customer's credit: the part its plan would take from
 * the payment's unused credit now (planRefund takes that first), that is the payment's credit part less what its
 * other pending refunds hold of it, within the credit nothing else holds. Held, nothing spends it until the
 * provider answers: when the refund succeeds postRefund takes it back and reopens no invoice for it; when it
 * fails releaseHeldCredit lets it pay open invoices. Until 2026-12-07 it held nothing: the next invoice's
 * finalization or a payment spent that credit, and the refund, once made, reopened the invoice it had paid.
 */
async function creditToHold(
  trx: Tx,
  paymentId: string,
  customerId: bigint,
  currency: string,
  amount: bigint,
): Promise<bigint> {
  const part = (await creditPartLeft(trx, paymentId)) - (await paymentCreditHeld(trx, paymentId));
  if (part <= 0n) return 0n;
  return minAmount(amount, minAmount(part, await spendableCredit(trx, customerId, currency)));
}

/**
 * A provider's answer on a pending refund: succeeded posts its ledger event, failed posts nothing (its
 * amount can be refunded again). Repeating the same answer changes nothing. A refund that had succeeded and
 * then failed (Stripe: the customer's bank sent the money back) is reversed: the money is the customer's
 * again, held by the provider: it pays their open invoices oldest first and the rest is credit (reverseRefund).
 * A failed refund never
 * succeeds later; that answer is refused.
 */
export async function settleRefundIn(
  trx: Tx,
  ctx: ServiceContext,
  input: {
    refund_id: string;
    status: "succeeded" | "failed";
    /** Only a reservation no provider refund is linked to yet (refundThroughProvider's release). */
    onlyUnlinked?: boolean;
  },
): Promise<Refund> {
  const found = await trx
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["refund.id", "payment.customer_id"])
    .where("refund.id", "=", input.refund_id)
    .executeTakeFirst();
  if (!found) throw fieldError("NOT_FOUND", "refund_id", `refund ${input.refund_id} not found`);
  await lockCustomerForMoney(trx, found.customer_id);
  const row = await trx
    .selectFrom("refund")
    .selectAll()
    .where("id", "=", input.refund_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.status === input.status) return presentRefund(row);
  if (input.onlyUnlinked && (row.status !== "pending" || row.provider_refund_id !== null))
    return presentRefund(row);
  const reversing = row.status === "succeeded" && input.status === "failed";
  if (row.status !== "pending" && !reversing) {
    throw fieldError("CONFLICT", "status", `refund ${row.id} is ${row.status} already`);
  }
  const after = await trx
    .updateTable("refund")
    .set({ status: input.status })
    .where("id", "=", row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  let posted: Record<string, unknown> | null = null;
  if (input.status === "succeeded") posted = await postRefund(trx, ctx, row.id);
  else if (reversing) posted = await reverseRefund(trx, ctx, row.id);
  else if (row.credit_note_id !== null || row.credit_held > 0n)
    posted = await releaseHeldCredit(trx, ctx, found.customer_id, row.id);
  await recordAudit(trx, ctx, {
    action: "settle",
    entity: "payment",
    entityId: row.payment_id,
    before: { refund: row.id, status: row.status },
    after: { refund: row.id, status: input.status, ...posted },
  });
  return presentRefund(after);
}

/**
 * The ledger event `ref-failed:<id>` of a refund that failed after it had succeeded: cash +R, which goes as a
 * customer payment goes (billing-rules §7) — to the customer's open invoices oldest first (the ones the refund
 * reopened among them, unless paid again since), and only what none of them owes becomes credit; every line
 * is tagged with the payment, so it pays them again and a second refund of it finds them. Until 2026-12-06
 * all of R became credit, beside the invoices it had reopened still owing: dunning then suspended a customer
 * whose credit covered what was overdue. Announced as `payment.refunded` with the refund now `failed`.
 */
async function reverseRefund(trx: Tx, ctx: ServiceContext, refundId: string) {
  const refund = await refundWithPayment(trx, refundId);
  const ids = { paymentId: refund.payment_id, refundId: refund.id };
  const open = await lockOpenInvoicesOldestFirst(trx, refund.customer_id, refund.currency_code);
  const { allocations, credit } = allocateOldestFirst(refund.amount, open);
  const now = ctx.now();
  await postLedgerEvent(trx, {
    id: `ref-failed:${refund.id}`,
    kind: "refund",
    customerId: refund.customer_id,
    currency: refund.currency_code,
    at: now,
    lines: [
      { account: "cash", amount: refund.amount, ...ids },
      ...allocations.map((a) => ({
        account: "receivable" as const,
        amount: -a.amount,
        invoiceId: a.invoiceId,
        ...ids,
      })),
      { account: "credit", amount: -credit, ...ids },
    ],
  });
  const paidAgain = allocations.map((a) => a.invoiceId);
  // Credit the customer held before (books from before 2026-12) pays what the returned money did not.
  const creditPaid = await payOpenInvoicesFromCredit(trx, ctx, {
    customerId: refund.customer_id,
    currency: refund.currency_code,
    at: now,
    sourceEventId: `ref-failed:${refund.id}`,
  });
  const changes = await settleInvoiceStatuses(
    trx,
    [...paidAgain, ...creditPaid.map((a) => a.invoiceId)],
    now,
  );
  const announced = [...new Set(refund.invoice_id ? [refund.invoice_id, ...paidAgain] : paidAgain)];
  await emitInvoiceEvents(trx, {
    event: "payment.refunded",
    invoiceIds: announced,
    at: now,
    subject: { payment_id: refund.payment_id, refund_id: refund.id },
  });
  await requestDunningEvaluation(trx, refund.customer_id);
  return {
    credit_given_back: String(credit),
    paid_again: allocations.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
    credit_applied: creditPaid.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
    invoice_states: changes,
  };
}

/**
 * A card refund that failed before any money left, which held credit (a credit note's, or a payment's own that
 * was to take back the payment's unused credit): that credit is no longer held (spendable-credit.ts) and, as any
 * credit, pays the customer's open invoices oldest first (docs/payments.md, "Credit"); the rest stays credit.
 * Until 2026-12-06 a note's stayed beside them until the next money event.
 */
async function releaseHeldCredit(trx: Tx, ctx: ServiceContext, customerId: bigint, refundId: string) {
  const { currency_code: currency } = await trx
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select("payment.currency_code")
    .where("refund.id", "=", refundId)
    .executeTakeFirstOrThrow();
  const now = ctx.now();
  const creditPaid = await payOpenInvoicesFromCredit(trx, ctx, {
    customerId,
    currency,
    at: now,
    sourceEventId: `refund-failed:${refundId}`,
  });
  if (creditPaid.length === 0) return { credit_applied: [] };
  const changes = await settleInvoiceStatuses(
    trx,
    creditPaid.map((a) => a.invoiceId),
    now,
  );
  await requestDunningEvaluation(trx, customerId);
  return {
    credit_applied: creditPaid.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
    invoice_states: changes,
  };
}

/** Σ refunds of a payment that did not fail (pending ones hold their amount). */
export async function refundedSoFar(trx: Tx, paymentId: string): Promise<bigint> {
  const r = await trx
    .selectFrom("refund")
    .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as("n"))
    .where("payment_id", "=", paymentId)
    .where("status", "<>", "failed")
    .executeTakeFirstOrThrow();
  return BigInt(r.n);
}

/**
 * The ledger event `ref:<id>` of a succeeded refund: cash −R, and where R came from (planRefund): the
 * payment's unused credit (credit +), its invoice allocations newest first (receivable +, tagged with the
 * payment), then credit it gave that newer invoices used (receivable +, untagged). Invoices reopen. A credit
 * note's refund first takes back the credit its note left (credit +, untagged, as the note's was): the note has
 * just lowered what the invoice may owe, and reopening it would ask the customer for money the note returned.
 */
async function postRefund(trx: Tx, ctx: ServiceContext, refundId: string) {
  const refund = await refundWithPayment(trx, refundId);
  const customerId = refund.customer_id;
  const currency = refund.currency_code;
  // What the payment's other pending refunds hold of its credit part is theirs to take back.
  const creditPart = nonNegative(
    (await creditPartLeft(trx, refund.payment_id)) - (await paymentCreditHeld(trx, refund.payment_id)),
  );
  const allocations = lessReturnedByNotes(
    await receivablesNewestFirst(trx, (q) => q.where("ledger_entry.payment_id", "=", refund.payment_id)),
    await returnedByNotesPerInvoice(trx, refund.payment_id, refund.id),
  );
  const creditApplied = await receivablesNewestFirst(trx, (q) =>
    q
      .where("ledger_entry.customer_id", "=", customerId)
      .where("ledger_entry.currency_code", "=", currency)
      .where((eb) =>
        eb.or([
          eb("ledger_entry.event_kind", "=", "credit_applied"),
          eb.and([eb("ledger_entry.event_kind", "=", "refund"), eb("ledger_entry.payment_id", "is", null)]),
        ]),
      ),
  );
  // This refund no longer holds its credit (it is not pending); other pending refunds do. What it held is
  // taken back first: the note's credit (untagged, as the note's was), or the payment's credit it was asked
  // to take (the plan's first source, so no invoice reopens for it whatever was finalized meanwhile).
  const available = await spendableCredit(trx, customerId, currency);
  const noteCredit = refund.credit_note_id === null ? 0n : minAmount(refund.amount, available);
  const heldCredit = nonNegative(
    minAmount(refund.credit_held, minAmount(available - noteCredit, creditPart)),
  );
  const planned = planRefund(refund.amount - noteCredit - heldCredit, {
    creditPart: creditPart - heldCredit,
    customerCredit: available - noteCredit - heldCredit,
    allocations,
    creditApplied,
    reopenable: await reopenableAmounts(
      trx,
      [...allocations, ...creditApplied].map((a) => a.invoiceId),
    ),
  });
  const plan = { ...planned, credit: planned.credit + heldCredit };
  const reopened = [...plan.reopened, ...plan.reopenedCreditApplied].map((a) => a.invoiceId);
  if (reopened.length > 0) {
    await trx.selectFrom("invoice").select("id").where("id", "in", reopened).forUpdate().execute();
  }
  const now = ctx.now();
  const ids = { paymentId: refund.payment_id, refundId: refund.id };
  await postLedgerEvent(trx, {
    id: `ref:${refund.id}`,
    kind: "refund",
    customerId,
    currency,
    at: now,
    lines: [
      { account: "cash", amount: -refund.amount, ...ids },
      { account: "credit", amount: noteCredit, refundId: refund.id },
      { account: "credit", amount: plan.credit, ...ids },
      ...plan.reopened.map((a) => ({
        account: "receivable" as const,
        amount: a.amount,
        invoiceId: a.invoiceId,
        ...ids,
      })),
      ...plan.reopenedCreditApplied.map((a) => ({
        account: "receivable" as const,
        amount: a.amount,
        invoiceId: a.invoiceId,
        refundId: refund.id,
      })),
    ],
  });
  // An invoice reopened while the customer holds credit in its currency is paid from that credit (oldest
  // open first), so no credit sits beside what they owe (docs/payments.md, "Credit").
  const creditPaid = await payOpenInvoicesFromCredit(trx, ctx, {
    customerId,
    currency,
    at: now,
    sourceEventId: `ref:${refund.id}`,
    reopened,
  });
  const changes = await settleInvoiceStatuses(trx, [...reopened, ...creditPaid.map((a) => a.invoiceId)], now);
  const announced = [...new Set(refund.invoice_id ? [refund.invoice_id, ...reopened] : reopened)];
  await emitInvoiceEvents(trx, {
    event: "payment.refunded",
    invoiceIds: announced,
    at: now,
    subject: { payment_id: refund.payment_id, refund_id: refund.id },
  });
  await requestDunningEvaluation(trx, customerId);
  const out = (list: Allocation[]) =>
    list.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) }));
  return {
    credit_taken_back: String(plan.credit + noteCredit),
    reopened: out(plan.reopened),
    reopened_credit_applied: out(plan.reopenedCreditApplied),
    credit_applied: out(creditPaid),
    invoice_states: changes,
  };
}

/**
 * What of a payment's credit part (its credit lines: what it left as credit, less what its refunds took back as
 * credit) its refunds have not yet taken back where that credit was spent: a refund that found the credit spent
 * reopened the invoices it paid (reopenedCreditApplied: receivable lines tagged with the refund only), which
 * the payment's credit lines do not show. Left counted, a later refund of the payment (its earlier refund
 * failed after it had succeeded, so its amount is refundable again) took that much of another payment's credit
 * instead of reopening the invoice the returned money had paid, and that payment's refund then found no source
 * (until 2026-12-07, found by the card ledger property: "refund of 1 exceeds what the payment covered by 1").
 */
async function creditPartLeft(trx: Tx, paymentId: string): Promise<bigint> {
  const row = await trx
    .selectFrom("ledger_entry")
    .select(sql<bigint>`coalesce(-sum(amount), 0)::bigint`.as("n"))
    .where("payment_id", "=", paymentId)
    .where("account", "=", "credit")
    .executeTakeFirstOrThrow();
  const reopenedWhereSpent = await trx
    .selectFrom("ledger_entry")
    .innerJoin("refund", "refund.id", "ledger_entry.refund_id")
    .select(sql<bigint>`coalesce(sum(ledger_entry.amount), 0)::bigint`.as("n"))
    .where("refund.payment_id", "=", paymentId)
    .where("ledger_entry.event_kind", "=", "refund")
    .where("ledger_entry.account", "=", "receivable")
    .where("ledger_entry.payment_id", "is", null)
    .executeTakeFirstOrThrow();
  const left = BigInt(row.n) - BigInt(reopenedWhereSpent.n);
  return left > 0n ? left : 0n;
}

/**
 * Per invoice, what credit notes on it have refunded of this payment (not failed; a pending card refund holds its
 * amount), besides the refund being posted. A note's refund returns the payment's share of the note's invoice
 * (issue-credit-note.ts takes at most that share) with a cash line and no receivable line, so the payment's
 * receivable entries still show that share; left in, a later refund of the payment's rest reopened that invoice
 * again: a second time for the same money, taking room a refund of credit spent there needed (until 2026-12-07,
 * found by the ledger property: "refund of 1 exceeds what the payment covered by 1").
 */
async function returnedByNotesPerInvoice(
  trx: Tx,
  paymentId: string,
  postingRefundId: string,
): Promise<Map<string, bigint>> {
  const rows = await trx
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select(["credit_note.invoice_id", sql<bigint>`sum(refund.amount)::bigint`.as("returned")])
    .where("refund.payment_id", "=", paymentId)
    .where("refund.status", "<>", "failed")
    .where("refund.id", "<>", postingRefundId)
    .groupBy("credit_note.invoice_id")
    .execute();
  return new Map(rows.map((r) => [r.invoice_id, BigInt(r.returned)]));
}

/** A payment's allocations less what notes returned of each (order kept, emptied ones dropped). */
function lessReturnedByNotes(allocations: Allocation[], returned: ReadonlyMap<string, bigint>): Allocation[] {
  return allocations
    .map((a) => ({ invoiceId: a.invoiceId, amount: a.amount - (returned.get(a.invoiceId) ?? 0n) }))
    .filter((a) => a.amount > 0n);
}

const nonNegative = (n: bigint) => (n > 0n ? n : 0n);

/** A refund with what its ledger events need of its payment. */
function refundWithPayment(trx: Tx, refundId: string) {
  return trx
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select([
      "refund.id",
      "refund.amount",
      "refund.credit_note_id",
      "refund.credit_held",
      "payment.id as payment_id",
      "payment.customer_id",
      "payment.currency_code",
      "payment.invoice_id",
    ])
    .where("refund.id", "=", refundId)
    .executeTakeFirstOrThrow();
}

/** Per invoice: total − its credit notes − its amount due now (what a refund may make it owe again). */
async function reopenableAmounts(trx: Tx, invoiceIds: readonly string[]): Promise<Map<string, bigint>> {
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom("invoice")
    .select([
      "invoice.id",
      sql<bigint>`(invoice.total
        - (SELECT coalesce(sum(total), 0) FROM credit_note WHERE credit_note.invoice_id = invoice.id)
        - (SELECT coalesce(sum(amount), 0) FROM ledger_entry
            WHERE ledger_entry.invoice_id = invoice.id AND ledger_entry.account = 'receivable'))::bigint`.as(
        "room",
      ),
    ])
    .where("invoice.id", "in", ids)
    .execute();
  return new Map(rows.map((r) => [r.id, BigInt(r.room)]));
}

/** Receivable entries matching `filter`, netted per issued invoice (positive nets only), newest invoice first. */
async function receivablesNewestFirst(
  trx: Tx,
  filter: (q: ReturnType<typeof baseQuery>) => ReturnType<typeof baseQuery>,
): Promise<Allocation[]> {
  const rows = await filter(baseQuery(trx)).execute();
  return rows
    .map((r) => ({ invoiceId: r.invoice_id as string, amount: BigInt(r.covered) }))
    .filter((a) => a.amount > 0n);
}

function baseQuery(trx: Tx) {
  return trx
    .selectFrom("ledger_entry")
    .innerJoin("invoice", "invoice.id", "ledger_entry.invoice_id")
    .select(["ledger_entry.invoice_id", sql<bigint>`(-sum(ledger_entry.amount))::bigint`.as("covered")])
    .where("ledger_entry.account", "=", "receivable")
    .where("invoice.status", "<>", "void")
    .groupBy(["ledger_entry.invoice_id", "invoice.due_date", "invoice.number"])
    .orderBy("invoice.due_date", "desc")
    .orderBy("invoice.number", "desc");
}
