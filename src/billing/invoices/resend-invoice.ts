import { enqueue } from "../../jobs/enqueue-job.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";
import { InvoiceIdParams } from "./invoice-schemas.ts";

/**
 * Sends an issued invoice to its customer's e-mail again: one `invoice.email` job, written like every other
 * delivery job (outbox) and sent by the same handler with the invoice's PDF. It has no slot, so every resend
 * is a mail of its own; it names no event, so the handler mails the invoice itself. Refused for a draft or
 * void invoice (nothing to pay) and when no SMTP server is configured (nothing would be sent).
 */
export const resendInvoice = defineVerb(
  InvoiceIdParams,
  async ({ ctx, input }): Promise<{ job_id: string }> => {
    await requireStaffRole(ctx, ...BILLING_ROLES);
    if (ctx.config.SMTP_HOST === undefined)
      throw new ServiceError("CONFLICT", "e-mail is not configured (SMTP_HOST): the invoice cannot be sent");
    return withTransaction(ctx, async (tx) => {
      const invoice = await tx.db
        .selectFrom("invoice")
        .select(["status"])
        .where("id", "=", input.id)
        .executeTakeFirst();
      if (!invoice) throw ServiceError.notFound(`invoice ${input.id}`);
      if (invoice.status === "draft" || invoice.status === "void")
        throw new ServiceError(
          "CONFLICT",
          `invoice ${input.id} is ${invoice.status}; only an issued invoice is sent`,
        );
      const jobId = await enqueue(tx.db, "invoice.email", { invoice_id: input.id });
      await recordAudit(tx.db, ctx, {
        action: "resend",
        entity: "invoice",
        entityId: String(input.id),
        before: null,
        after: { job_id: String(jobId) },
      });
      return { job_id: String(jobId) };
    });
  },
);
