import type { Kysely } from "kysely";
import type { InvoiceEvent } from "../billing/invoices/invoice-events.ts";
import type { Database } from "../db/schema.ts";
import { InvoiceEventPayload } from "../jobs/job-payloads.ts";
import { PermanentJobError } from "../jobs/job-runner.ts";

/** What an `invoice.event` job announced, besides its invoice: the payment, refund or credit note. */
export type EventSubject = Omit<InvoiceEventPayload, "invoice_id" | "at">;

// The fan-out copies the subject into every e-mail and webhook job it writes (their `subject`). Jobs written
// before that hold the invoice id only; for them the ids are read from the `invoice.event` job they were
// fanned out from, named in their slot (fan-out-invoice-event.ts) — while housekeeping has not trimmed it.
const FANNED_OUT_FROM = /^invoice\.event:(\d{1,19}):/;

/** Events whose delivery names nothing but the invoice: an old job of one of them needs no event job. */
const INVOICE_ONLY: ReadonlySet<InvoiceEvent> = new Set([
  "invoice.finalized",
  "invoice.paid",
  "invoice.voided",
]);

/**
 * The subject of a delivery job, or null for a job written without one and without an event (tests that
 * call fanOutInvoiceEvent directly, jobs written before slots existed): those are about the invoice alone.
 * Fails for good when an old job's event job is gone and its event may name a payment, refund or credit
 * note: guessing would send the wrong document (a credit note's e-mail as the invoice's).
 */
export async function eventSubjectOf(
  db: Kysely<Database>,
  job: { id: bigint; payload: { subject?: EventSubject | undefined; event?: InvoiceEvent } },
): Promise<EventSubject | null> {
  if (job.payload.subject !== undefined) return job.payload.subject;
  const row = await db.selectFrom("job").select("slot").where("id", "=", job.id).executeTakeFirst();
  const eventJobId = FANNED_OUT_FROM.exec(row?.slot ?? "")?.[1];
  if (eventJobId === undefined) return null;
  const event = await db
    .selectFrom("job")
    .select("payload")
    .where("id", "=", BigInt(eventJobId))
    .where("kind", "=", "invoice.event")
    .executeTakeFirst();
  if (event === undefined) {
    const known = job.payload.event;
    if (known !== undefined && INVOICE_ONLY.has(known)) return { event: known };
    throw new PermanentJobError(
      `the invoice.event job ${eventJobId} this delivery was fanned out from is gone (finished jobs are trimmed after RETENTION_JOBS_DAYS), so what it announced is unknown; nothing was sent`,
    );
  }
  const parsed = InvoiceEventPayload.safeParse(event.payload);
  if (!parsed.success) return null;
  const { invoice_id: _invoice, at: _at, ...subject } = parsed.data;
  return subject;
}
