import { sql } from "kysely";
import { whyCardRefundRetryDoesNothing } from "../../billing/credit-notes/card-refund-retry.ts";
import { notifyJobWritten, signalJobsWritten } from "../../jobs/job-wakeups.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import { FAILED_JOB_COLUMNS, presentFailedJob } from "./failed-jobs.ts";

/**
 * Queues a failed job again, in place: pending now, with its kind's attempts anew. Every handler reads what
 * its job is about when it runs (the customer, the invoice), so a retry does what the job is for as things
 * are now; fix what its last error names first. It keeps its id, and with it its place among the jobs of
 * its ordering key: so it is refused while a later job of that key is open, which it would overtake (or run
 * beside). Audited, as it changes what tokenbill will do.
 */
export const retryFailedJob = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  await withTransaction(ctx, async (tx) => {
    const job = await tx.db
      .selectFrom("job")
      .select([...FAILED_JOB_COLUMNS, "status"])
      .where("id", "=", input.id)
      .forUpdate()
      .executeTakeFirst();
    if (!job) throw ServiceError.notFound(`job ${input.id}`);
    if (job.status !== "failed")
      throw new ServiceError(
        "CONFLICT",
        `job ${input.id} is ${job.status}, not failed: there is nothing to retry`,
      );
    // A kind whose retry would end "done" asking nothing is refused, saying why (card-refund-retry.ts).
    if (job.kind === "credit_note.refund") {
      const why = await whyCardRefundRetryDoesNothing(tx.db, job.payload);
      if (why) throw new ServiceError("CONFLICT", `job ${input.id} is not retried: ${why}`);
    }
    if (job.ordering_key !== null) {
      const later = await tx.db
        .selectFrom("job")
        .select("id")
        .where("ordering_key", "=", job.ordering_key)
        .where("id", ">", job.id)
        .where("status", "in", ["pending", "running"])
        .orderBy("id")
        .limit(1)
        .executeTakeFirst();
      if (later)
        throw new ServiceError(
          "CONFLICT",
          `job ${later.id} of ${job.ordering_key} is queued after job ${input.id}; retry this one once that ` +
            "one is done or failed",
        );
    }
    await tx.db
      .updateTable("job")
      .set({
        status: "pending",
        attempts: 0,
        run_after: sql<Date>`now()`,
        locked_by: null,
        locked_until: null,
        updated_at: sql<Date>`now()`,
      })
      .where("id", "=", job.id)
      .returning(notifyJobWritten.as("notified"))
      .execute();
    await recordAudit(tx.db, tx, {
      action: "update",
      entity: "job",
      entityId: String(job.id),
      before: { ...presentFailedJob(job), status: "failed" },
      after: { status: "pending", attempts: 0, retried: true },
    });
  });
  signalJobsWritten();
});
