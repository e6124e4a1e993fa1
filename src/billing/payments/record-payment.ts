import { randomBytes } from "node:crypto";
import type { Selectable } from "kysely";
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
  requestDunningEvaluation,
  settleInvoiceStatuses,
} from "./invoice-settlement.ts";
import { type Payment, RecordPaymentInput } from "./payment-schemas.ts";
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

  let customerId: bigint;
  if (input.invoice_id !== undefined) {
    const target = await trx
      .selectFrom("invoice")
      .select("customer_id")
      .where("id", "=", input.invoice_id)
      .executeTakeFirst();
    if (!target) throw fieldError("NOT_FOUND", "invoice_id", `invoice ${input.invoice_id} not found`);
    customerId = target.customer_id;
  } else {
    customerId = input.customer_id as bigint;
  }
  // The customer first, then its invoices: every money event locks in this order.
  const customer = await lockCustomerForMoney(trx, customerId);

  const repeat = await findByReference(trx, input.method, input.reference);
  if (repeat) return sameOrRefused(trx, repeat, input, customerId);

  let open: { id: string; currency_code: string }[];
  let currency = customer.currency_code;
  if (input.invoice_id !== undefined) {
    const invoice = await trx
      .selectFrom("invoice")
      .select(["id", "status", "currency_code"])
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
    open = [invoice];
  } else {
    open = await trx
      .selectFrom("invoice")
      .select(["id", "currency_code"])
      .where("customer_id", "=", customerId)
      .where("currency_code", "=", currency)
      .where("status", "in", ["finalized", "partially_paid"])
      .orderBy("due_date")
      .orderBy("number")
      .forUpdate()
      .execute();
  }
  if (input.currency !== undefined && input.currency !== currency) {
    throw fieldError(
      "VALIDATION",
      "currency",
      `must be ${currency}, the currency of the ${input.invoice_id ? "invoice" : "customer"}`,
    );
  }

  const dues = await amountsDue(
    trx,
    open.map((i) => i.id),
  );
  const { allocations, credit } = allocateOldestFirst(
    input.amount,
    open.map((i) => ({ id: i.id, due: dues.get(i.id) ?? 0n })),
  );

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
    // A concurrent call with the same reference (another customer's lock) won the race: its row is the
    // payment, found below once it committed.
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
  const payment = await readPayment(trx, inserted.id);
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
