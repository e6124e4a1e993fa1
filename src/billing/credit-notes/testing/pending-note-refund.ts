import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { expect } from "vitest";
import { runnableKinds } from "../../../app/job-catalog.ts";
import { JobRunner } from "../../../jobs/job-runner.ts";
import type { Database } from "../../../db/schema.ts";
import type { ServiceContext } from "../../../kernel/context.ts";
import { issueCreditNote } from "../issue-credit-note.ts";
import { invoiceAmountsDue } from "../../ledger/ledger.ts";
import type { StripeWorld } from "../../providers/testing/stripe-world.ts";
import { createCustomers } from "../../testing/billing-fixtures.ts";
import { issueInvoices } from "../../payments/testing/invoice-fixtures.ts";

// The set-ups the tests of a credit note's card refund share (the held credit, its words on every page): a
// note whose refund Stripe has been asked for and not yet settled, made through the admin API as staff would;
// and one whose process died once the note committed, so that Stripe was never asked.

export interface PendingNoteRefund {
  customerId: bigint;
  invoice: string;
  noteId: string;
  providerRefundId: string;
}

/** A new customer's $10.00 invoice paid by card, then a $2.50 credit note on it settled as a refund: pending. */
export async function pendingNoteRefund(world: StripeWorld, email: string): Promise<PendingNoteRefund> {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice } = await world.paidByCard({ customerId, total: 1000n });
  const note = await askRefundNote(world, invoice);
  expect(note.status).toBe(201);
  const refund = await world.db
    .selectFrom("refund")
    .select(["status", "provider_refund_id"])
    .where("credit_note_id", "=", note.body.data.id)
    .executeTakeFirstOrThrow();
  expect(refund.status).toBe("pending");
  return {
    customerId,
    invoice,
    noteId: note.body.data.id as string,
    providerRefundId: refund.provider_refund_id as string,
  };
}

/**
 * Asks the admin API, as staff would, for a $2.50 credit note on `invoice` settled as a refund (reason
 * "outage"): its answer, for the test to check.
 */
export const askRefundNote = (world: StripeWorld, invoice: string) =>
  world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount: 250,
    reason: "outage",
    settlement: "refund",
  });

/** The id of the refund that credit note `noteId` made (one: a note on one card payment makes one). */
export async function refundIdOfNote(world: StripeWorld, noteId: string): Promise<string> {
  const { id } = await world.db
    .selectFrom("refund")
    .select("id")
    .where("credit_note_id", "=", noteId)
    .executeTakeFirstOrThrow();
  return id;
}

/** The id of the refund of payment `paymentId` (one: the reservation of the note refunding it). */
export async function refundIdOfPayment(world: StripeWorld, paymentId: string): Promise<string> {
  const { id } = await world.db
    .selectFrom("refund")
    .select("id")
    .where("payment_id", "=", paymentId)
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * A new customer's $10.00 invoice paid by card and a $2.50 note on it settled as a refund, issued by a process
 * that "dies" once the note's transaction has committed: it reaches the database no more, so Stripe is never
 * asked and the reservation stays pending and unlinked. `now` dates the note (an hour ago, say, for a
 * reservation old enough to release); `logger` records what the dying request logged.
 */
export async function noteWhoseProcessDied(
  world: StripeWorld,
  email: string,
  options: { now?: ServiceContext["now"]; logger?: Logger } = {},
) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice, payment } = await world.paidByCard({ customerId, total: 1000n });
  let died = false;
  const dying = new Proxy(world.db, {
    get(target, prop, receiver) {
      if (prop === "isTransaction") return false;
      if (prop === "transaction")
        return () => ({
          execute: async <T>(fn: (trx: never) => Promise<T>) => {
            const result = await target.transaction().execute(fn as never);
            died = true;
            return result;
          },
        });
      if (died) throw new Error("the process died after the note committed");
      return Reflect.get(target, prop, receiver);
    },
  }) as Kysely<Database>;
  const ctx = world.context(options.now ? { now: options.now } : {});
  await issueCreditNote({
    ctx: { ...ctx, db: dying, ...(options.logger ? { logger: options.logger } : {}) },
    input: { invoice_id: invoice, amount: 250n, reason: "outage", settlement: "refund" },
  });
  return { customerId, invoice, payment };
}

/** The reservation of a $2.50 note whose process died before asking Stripe (noteWhoseProcessDied). */
export async function reservationNobodyAsked(world: StripeWorld, email: string) {
  const { customerId, payment } = await noteWhoseProcessDied(world, email);
  return { customerId, payment, refundId: await refundIdOfPayment(world, payment.id) };
}

/**
 * Runs the credit_note.refund jobs that wait now, as the runner would once they are due; `logger` records what
 * they log (silent unless given).
 */
export async function runNoteRefundJobs(world: StripeWorld, logger?: Logger): Promise<void> {
  await world.db
    .updateTable("job")
    .set({ run_after: new Date() })
    .where("kind", "=", "credit_note.refund")
    .where("status", "=", "pending")
    .execute();
  const ctx = { ...world.context(), ...(logger ? { logger } : {}) };
  const kinds = runnableKinds(ctx, "outbox");
  const runner = new JobRunner({
    db: world.db,
    logger: ctx.logger,
    handlers: { "credit_note.refund": kinds["credit_note.refund"]! },
  });
  await runner.drain();
}

/** The status and Stripe refund of the card refund of the (one) credit note on `invoice`. */
export const noteRefundOf = (world: StripeWorld, invoice: string) =>
  world.db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select(["refund.status", "refund.provider_refund_id"])
    .where("credit_note.invoice_id", "=", invoice)
    .executeTakeFirstOrThrow();

/**
 * What the card-refund tests read back after each step: an invoice's amount due, the customer's statement
 * (the admin API's), a refund's state and its `credit_note.refund` job. `world` is a getter because the
 * tests open their world in beforeAll.
 */
export function cardRefundReads(world: () => StripeWorld) {
  return {
    dueOf: async (invoice: string) => (await invoiceAmountsDue(world().db, [invoice])).get(invoice) ?? 0n,
    statement: async (customerId: bigint) =>
      (await world().server.api("GET", `/api/v1/customers/${customerId}/statement`)).body.data,
    refundOf: (id: string) =>
      world()
        .db.selectFrom("refund")
        .select(["status", "provider_refund_id"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow(),
    jobOf: (refundId: string) =>
      world()
        .db.selectFrom("job")
        .select(["id", "status", "attempts", "run_after", "last_error"])
        .where("kind", "=", "credit_note.refund")
        .where("slot", "=", `credit_note.refund:${refundId}`)
        .executeTakeFirstOrThrow(),
  };
}

/** A new customer's $10.00 invoice paid by card and a $1.00 invoice open, which credit set free would pay. */
export async function cardPaidBesideOpenInvoice(world: StripeWorld, email: string) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice, payment } = await world.paidByCard({ customerId, total: 1000n });
  const [open] = (await issueInvoices(world.db, [{ customerId, total: 100n }])) as [string];
  return { customerId, invoice, payment, open };
}
