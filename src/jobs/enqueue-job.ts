import type { Tx } from "../services/context.ts";

export interface NewJob {
  kind: string;
  /** Jobs sharing a key run one at a time in the order they were enqueued (e.g. `customer:42`). */
  orderingKey?: string | null;
  payload: unknown;
  runAfter?: Date;
}

/** Writes a job into the outbox; call it inside the transaction of the change that needs the job. */
export async function enqueueJob(trx: Tx, job: NewJob): Promise<bigint> {
  const row = await trx
    .insertInto("job")
    .values({
      kind: job.kind,
      ordering_key: job.orderingKey ?? null,
      payload: JSON.stringify(job.payload ?? {}),
      ...(job.runAfter ? { run_after: job.runAfter } : {}),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Writes many jobs in few statements (a finalized batch of invoices); same transaction rule as enqueueJob.
 * Chunked to stay far below PostgreSQL's 65,535 bind parameters.
 */
export async function enqueueJobs(trx: Tx, jobs: readonly NewJob[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += 1000) {
    await trx
      .insertInto("job")
      .values(
        jobs.slice(i, i + 1000).map((job) => ({
          kind: job.kind,
          ordering_key: job.orderingKey ?? null,
          payload: JSON.stringify(job.payload ?? {}),
          ...(job.runAfter ? { run_after: job.runAfter } : {}),
        })),
      )
      .execute();
  }
}
