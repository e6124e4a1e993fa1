import type { Selectable } from "kysely";
import type { PaymentTable } from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";
import { fieldError, MoneyRefusal } from "./field-error.ts";
import type { PaymentToRecord } from "./payment-schemas.ts";
import { readPayment } from "./read-payment.ts";
import type { RecordPaymentResult } from "./record-payment.ts";

/**
 * What a payment whose INSERT met `payment_method_reference` answers: the payment already recorded under
 * that (method, reference) — by a repeated call, or by a concurrent one that won the race and committed —
 * when it says the same thing, else a refusal naming `reference`.
 */
export async function repeatedPayment(
  trx: Tx,
  input: PaymentToRecord,
  customerId: bigint,
): Promise<RecordPaymentResult> {
  const winner = await trx
    .selectFrom("payment")
    .selectAll()
    .where("method", "=", input.method)
    .where("reference", "=", input.reference)
    .executeTakeFirst();
  if (!winner) throw fieldError("CONFLICT", "reference", "a concurrent payment with this reference failed");
  return sameOrRefused(trx, winner, input, customerId);
}

/**
 * The same (method, reference) again: the same payment when it says the same thing (amount, target),
 * else a mistake — a different payment under a reference already used — refused naming `reference`.
 */
async function sameOrRefused(
  trx: Tx,
  existing: Selectable<PaymentTable>,
  input: PaymentToRecord,
  customerId: bigint,
): Promise<RecordPaymentResult> {
  const same =
    existing.amount === input.amount &&
    existing.customer_id === customerId &&
    existing.invoice_id === (input.invoice_id ?? null) &&
    (input.currency === undefined || input.currency === existing.currency_code);
  if (!same) {
    // The invoice by its number, for a person; the API's message keeps the id it has always named.
    const invoice = existing.invoice_id
      ? await trx
          .selectFrom("invoice")
          .select("number")
          .where("id", "=", existing.invoice_id)
          .executeTakeFirst()
      : undefined;
    const target = existing.invoice_id
      ? `on invoice ${invoice?.number ?? existing.invoice_id}`
      : `by customer ${existing.customer_id}`;
    throw new MoneyRefusal(
      "CONFLICT",
      "reference",
      `${existing.method} reference ${existing.reference} is payment ${existing.id} of ${existing.amount} ` +
        `(${existing.currency_code} minor units) ${existing.invoice_id ? `on invoice ${existing.invoice_id}` : `by customer ${existing.customer_id}`}; a different payment needs its own reference`,
      (money) =>
        `${existing.method.replaceAll("_", " ")} reference ${existing.reference} is already a payment of ` +
        `${money(existing.amount, existing.currency_code)} ${target}; a different payment needs its own reference`,
    );
  }
  return { payment: await readPayment(trx, existing.id), created: false };
}
