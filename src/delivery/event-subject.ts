import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { InvoiceEventPayload } from "../jobs/job-payloads.ts";

/** What an `invoice.event` job announced, besides its invoice: the payment, refund or credit note. */
export type EventSubject = Omit<InvoiceEventPayload, "invoice_id" | "at">;

// The fan-out names each job it writes after the `invoice.event` job it came from (its slot,
// fan-out-invoice-event.ts). The e-mail and webhook payloads hold the invoice id only, so the ids of the
// payment, refund or credit note are read from that event job — which is never deleted — when the job runs.
const FANNED_OUT_FROM = /^invoice\.event:(\d{1,19}):/;

/**
 * The event a delivery job was fanned out from, or null for a job written without one (tests that call
 * fanOutInvoiceEvent directly, jobs written before slots existed): those are about the invoice alone.
 */
export async function eventSubjectOf(
  db: Kysely<Database>,
  deliveryJobId: bigint,
): Promise<EventSubject | null> {
  const job = await db.selectFrom("job").select("slot").where("id", "=", deliveryJobId).executeTakeFirst();
  const eventJobId = FANNED_OUT_FROM.exec(job?.slot ?? "")?.[1];
  if (eventJobId === undefined) return null;
  const event = await db
    .selectFrom("job")
    .select("payload")
    .where("id", "=", BigInt(eventJobId))
    .where("kind", "=", "invoice.event")
    .executeTakeFirst();
  const parsed = InvoiceEventPayload.safeParse(event?.payload);
  if (!parsed.success) return null;
  const { invoice_id: _invoice, at: _at, ...subject } = parsed.data;
  return subject;
}
