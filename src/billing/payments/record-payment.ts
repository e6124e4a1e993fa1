import { randomBytes } from "node:crypto";
import { type Selectable, sql } from "kysely";
import type { PaymentTable } from "../../db/schema.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, zodToServiceError } from "../../kernel/verb.ts";
import { emitInvoiceEvents } from "../invoices/emit-invoice-event.ts";
import { type LedgerLine, postLedgerEvent } from "../ledger/ledger.ts";
import { allocateOldestFirst } from "./allocate.ts";
import { fieldError } from "./field-error.ts";
import {
  amountsDue,
  lockCustomerForMoney,
  lockCustomerOfInvoice,
  requestDunningEvaluation,
  settleInvoiceStatuses,
} from "./invoice-settlement.ts";
import { type Payment, presentPayment, RecordPaymentInput } from "./payment-schemas.ts";
import { readPayment } from "./read-payment.ts";

export interface RecordPaymentResult {
  payment: Payment;
  /** false when (method, reference) existed already: the same payment, nothing written. */
  created: boolean;
}

/**
 * Records money received (billing-rules §7) against one invoice, or against the customer, allocated to its
 * oldest open invoices first (by due date, then number); what no invoice needs becomes credit. One
 * transaction: the payment row, its ledger event `pay:<id>` (cash +P, receivable −a per invoice,
 * credit −rest), the invoices' new states, `payment.received` (and `invoice.paid`) jobs, the audit row, and
 * a dunning evaluation.
 */
export const recordPayment = defineVerb(
  RecordPaymentInput,
  ({ ctx, input }): Promise<RecordPaymentResult> =>
    withTransaction(ctx, (tx) => recordPaymentIn(tx.db, tx, input)),
);

/** The same inside a caller's transaction (a provider's webhook records its payment this way). */
export async function recordPaymentIn(
  trx: Tx,
  ctx: ServiceContext,
  raw: RecordPaymentInput | Parameters<typeof recordPayment>[0]["input"],
): Promise<RecordPaymentResult> {
  const parsed = RecordPaymentInput.safeParse(raw);
  if (!parsed.success) throw zodToServiceError(parsed.error);
  const input = parsed.data;

  // The customer first, then its invoices: every money event locks in this order. An invoice's payment
  // finds and locks its customer in one statement.
  const customer =
    input.invoice_id !== undefined
      ? await lockCustomerOfInvoice(trx, input.invoice_id)
      : await lockCustomerForMoney(trx, input.customer_id as bigint);
  const customerId = customer.id;

  let open: { id: string; due: bigint }[];
  let currency = customer.currency_code;
  if (input.invoice_id !== undefined) {
    const invoice = await trx
      .selectFrom("invoice")
      .select([
        "id",
        "status",
        "currency_code",
        sql<bigint>`(SELECT coalesce(sum(amount), 0) FROM ledger_entry
          WHERE invoice_id = invoice.id AND account = 'receivable')::bigint`.as("due"),
      ])
      .where("id", "=", input.invoice_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (invoice.status === "draft" || invoice.status === "void") {
      throw fieldError(
        "CONFLICT",
        "invoice_id",
        `invoice ${invoice.id} is ${invoice.status}; only an issued invoice can be paid`,
      );
    }
    currency = invoice.currency_code;
    open = [{ id: invoice.id, due: BigInt(invoice.due) }];
  } else {
    const rows = await trx
      .selectFrom("invoice")
      .select("id")
      .where("customer_id", "=", customerId)
      .where("currency_code", "=", currency)
      .where("status", "in", ["finalized", "partially_paid"])
      .orderBy("due_date")
      .orderBy("number")
      .forUpdate()
      .execute();
    const dues = await amountsDue(
      trx,
      rows.map((i) => i.id),
    );
    open = rows.map((i) => ({ id: i.id, due: dues.get(i.id) ?? 0n }));
  }
  if (input.currency !== undefined && input.currency !== currency) {
    throw fieldError(
      "VALIDATION",
      "currency",
      `must be ${currency}, the currency of the ${input.invoice_id ? "invoice" : "customer"}`,
    );
  }
  const { allocations, credit } = allocateOldestFirst(input.amount, open);

  const now = ctx.now();
  const inserted = await trx
    .insertInto("payment")
    .values({
      id: `pay_${randomBytes(12).toString("hex")}`,
      customer_id: customerId,
      currency_code: currency,
      amount: input.amount,
      method: input.method,
      reference: input.reference,
      invoice_id: input.invoice_id ?? null,
      paid_at: input.paid_at ?? now,
      created_at: now,
    })
    // The same (method, reference) again — a repeated call, or a concurrent one that won the race — is the
    // payment already recorded: found below (once it committed), nothing written here.
    .onConflict((oc) => oc.constraint("payment_method_reference").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    const winner = await findByReference(trx, input.method, input.reference);
    if (!winner) throw fieldError("CONFLICT", "reference", "a concurrent payment with this reference failed");
    return sameOrRefused(trx, winner, input, customerId);
  }

  const lines: LedgerLine[] = [
    { account: "cash", amount: input.amount, paymentId: inserted.id },
    ...allocations.map((a) => ({
      account: "receivable" as const,
      amount: -a.amount,
      invoiceId: a.invoiceId,
      paymentId: inserted.id,
    })),
    { account: "credit", amount: -credit, paymentId: inserted.id },
  ];
  await postLedgerEvent(trx, {
    id: `pay:${inserted.id}`,
    kind: "payment",
    customerId,
    currency,
    at: now,
    lines,
  });
  const changes = await settleInvoiceStatuses(
    trx,
    allocations.map((a) => a.invoiceId),
    now,
  );
  // A payment against an invoice announces itself on that invoice even when all of it became credit; a
  // customer payment on each invoice it paid (none when all of it became credit).
  const announced = input.invoice_id ? [input.invoice_id] : allocations.map((a) => a.invoiceId);
  await emitInvoiceEvents(trx, {
    event: "payment.received",
    invoiceIds: announced,
    at: now,
    subject: { payment_id: inserted.id },
  });
  // Just written: what it pays and holds is known, no refund exists yet.
  const payment = presentPayment(inserted, {
    allocations: allocations
      .filter((a) => a.amount !== 0n)
      .map((a) => ({ invoice_id: a.invoiceId, amount: a.amount }))
      .sort((a, b) => (a.invoice_id < b.invoice_id ? -1 : a.invoice_id > b.invoice_id ? 1 : 0)),
    credit,
    refunds: [],
  });
  await recordAudit(trx, ctx, {
    action: "record",
    entity: "payment",
    entityId: inserted.id,
    before: null,
    after: {
      amount: String(input.amount),
      currency,
      method: input.method,
      reference: input.reference,
      invoice_id: input.invoice_id ?? null,
      customer_id: String(customerId),
      allocations: allocations.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
      credit: String(credit),
      invoice_states: changes,
    },
  });
  await requestDunningEvaluation(trx, customerId);
  return { payment, created: true };
}

function findByReference(trx: Tx, method: string, reference: string) {
  return trx
    .selectFrom("payment")
    .selectAll()
    .where("method", "=", method)
    .where("reference", "=", reference)
    .executeTakeFirst();
}

/**
 * The same (method, reference) again: the same payment when it says the same thing (amount, target),
 * else a mistake — a different payment under a reference already used — refused naming `reference`.
 */
async function sameOrRefused(
  trx: Tx,
  existing: Selectable<PaymentTable>,
  input: RecordPaymentInput,
  customerId: bigint,
): Promise<RecordPaymentResult> {
  const same =
    existing.amount === input.amount &&
    existing.customer_id === customerId &&
    existing.invoice_id === (input.invoice_id ?? null) &&
    (input.currency === undefined || input.currency === existing.currency_code);
  if (!same) {
    throw fieldError(
      "CONFLICT",
      "reference",
      `${existing.method} reference ${existing.reference} is payment ${existing.id} of ${existing.amount} ` +
        `(${existing.currency_code} minor units) ${existing.invoice_id ? `on invoice ${existing.invoice_id}` : `by customer ${existing.customer_id}`}; a different payment needs its own reference`,
    );
  }
  return { payment: await readPayment(trx, existing.id), created: false };
}
