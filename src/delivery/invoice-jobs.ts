import type { Kysely } from "kysely";
import { z } from "zod";
import { readInvoice } from "../billing/invoices/get-invoice.ts";
import type { Invoice } from "../billing/invoices/invoice-schemas.ts";
import type { Database } from "../db/schema.ts";
import { ServiceError } from "../errors.ts";
import { WEBHOOK_EVENTS } from "../invoicing/webhook-signature.ts";
import { type ClaimedJob, PermanentJobError } from "../jobs/job-runner.ts";

// The two outbox job kinds of invoice delivery and their payloads. Payloads hold ids, never invoice
// content: handlers read the invoice when they run, so a retry sends what the database holds.

export const INVOICE_EMAIL_JOB = "invoice.email";
export const INVOICE_WEBHOOK_JOB = "invoice.webhook";

export const InvoiceEmailPayload = z.object({ invoice_id: z.string() });
export type InvoiceEmailPayload = z.output<typeof InvoiceEmailPayload>;

export const InvoiceWebhookPayload = z.object({
  invoice_id: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
  /** The endpoint configured when the event happened. */
  url: z.string(),
  /** When the event happened (the body's created_at), the same on every attempt. */
  created_at: z.string(),
});
export type InvoiceWebhookPayload = z.output<typeof InvoiceWebhookPayload>;

/** A payload that does not parse never will: the job fails instead of retrying. */
export function payloadOf<S extends z.ZodType>(schema: S, job: ClaimedJob): z.output<S> {
  const parsed = schema.safeParse(job.payload);
  if (!parsed.success) throw new PermanentJobError(`job ${job.id} (${job.kind}) has an invalid payload`);
  return parsed.data;
}

/** The invoice a job is about; one that does not exist fails the job instead of retrying it. */
export async function invoiceForJob(db: Kysely<Database>, id: string): Promise<Invoice> {
  try {
    return await readInvoice(db, id);
  } catch (e) {
    if (e instanceof ServiceError && e.code === "NOT_FOUND") throw new PermanentJobError(e.message);
    throw e;
  }
}

/** The origin only ("https://hooks.example.test"): paths and queries of webhook URLs may hold tokens. */
export function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
