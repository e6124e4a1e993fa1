import type { Kysely } from "kysely";
import { readInvoice } from "../billing/invoices/get-invoice.ts";
import type { Invoice } from "../billing/invoices/invoice-schemas.ts";
import type { Database } from "../db/schema.ts";
import { ServiceError } from "../kernel/errors.ts";
import type { JobKind } from "../jobs/job-payloads.ts";
import { PermanentJobError } from "../jobs/job-runner.ts";

// The job kinds of invoice delivery; their payloads, policies and handlers are in src/app/job-catalog.ts.

export const INVOICE_EVENT_JOB = "invoice.event" satisfies JobKind;
export const INVOICE_EMAIL_JOB = "invoice.email" satisfies JobKind;
export const INVOICE_WEBHOOK_JOB = "invoice.webhook" satisfies JobKind;

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
