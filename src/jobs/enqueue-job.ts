import { type QueryCreator, sql } from "kysely";
import type { Database } from "../db/schema.ts";
import { type UnnestColumn, unnestRows } from "../db/unnest-rows.ts";
import type { Tx } from "../kernel/context.ts";
import { JOB_PAYLOADS, type JobKind, type JobPayload, payloadIssues } from "./job-payloads.ts";
import { notifyJobWritten, signalJobsWritten } from "./job-wakeups.ts";

export interface EnqueueOptions {
  /** Jobs sharing a key run one at a time in the order they were enqueued (e.g. `customer:42`). */
  orderingKey?: string | null;
  runAfter?: Date;
  /** A key no two jobs may hold: when a job holds it already, nothing is written (migration 011). */
  slot?: string;
}

/** One job of a catalog kind: the payload's type is its kind's, so a wrong payload does not compile. */
export type NewJob = { [K in JobKind]: { kind: K; payload: JobPayload<K> } & EnqueueOptions }[JobKind];

/**
 * Writes a job into the outbox; call it inside the transaction of the change that needs the job. Returns
 * its id, or undefined when its slot is taken. Runners hear of it once it commits (job-wakeups.ts).
 */
export async function enqueue<K extends JobKind>(
  trx: Tx,
  kind: K,
  payload: JobPayload<K>,
  options: EnqueueOptions = {},
): Promise<bigint | undefined> {
  const row = await insertJobs(trx, [rowOf(kind, payload, options)]).executeTakeFirst();
  signalJobsWritten();
  return row?.id;
}

/** The columns of a bulk job write; run_after is null for "now", the column's default. */
const JOB_COLUMNS: readonly UnnestColumn<JobRecord>[] = [
  { name: "kind", type: "text", value: (j) => j.kind },
  { name: "ordering_key", type: "text", value: (j) => j.ordering_key },
  { name: "payload", type: "jsonb", value: (j) => JSON.stringify(j.payload) },
  { name: "slot", type: "text", value: (j) => j.slot },
  { name: "run_after", type: "timestamptz", value: (j) => j.run_after?.toISOString() ?? null },
];

/**
 * Writes many jobs in one statement with one parameter (a finalized batch of invoices: unnest-rows.ts); same
 * transaction rule as enqueue. Ids follow the list's order, which jobs sharing an ordering key run in. Jobs
 * whose slot is taken are skipped.
 */
export async function enqueueAll(trx: Tx, jobs: readonly NewJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const records = jobs.map((job) => recordOf(job.kind, job.payload, job));
  await sql`
    INSERT INTO job (kind, ordering_key, payload, slot, run_after)
    SELECT j.kind, j.ordering_key, j.payload, j.slot, coalesce(j.run_after, now())
    FROM (${unnestRows(JOB_COLUMNS, records)}) AS j
    ON CONFLICT (slot) DO NOTHING
    RETURNING id, ${notifyJobWritten} AS notified`.execute(trx);
  signalJobsWritten();
}

/**
 * The statement that writes `job` and wakes the runners, for a caller that makes it part of a larger one
 * (a data-modifying WITH: the user sync writes its job and marks the customer in one statement). The
 * caller then calls signalJobsWritten() (job-wakeups.ts) once the statement has run.
 */
export function jobInsert(db: QueryCreator<Database>, job: NewJob) {
  return insertJobs(db, [rowOf(job.kind, job.payload, job)]);
}

/** The NOTIFY rides in RETURNING: no statement of its own, and none when a taken slot writes nothing. */
function insertJobs(db: QueryCreator<Database>, rows: ReturnType<typeof rowOf>[]) {
  return db
    .insertInto("job")
    .values(rows)
    .onConflict((oc) => oc.column("slot").doNothing())
    .returning(["id", notifyJobWritten.as("notified")]);
}

/** The payload as the kind's schema reads it, to be stored; throws, naming the fields, when it does not fit. */
export function checkedPayload(kind: JobKind, payload: unknown): unknown {
  const parsed = JOB_PAYLOADS[kind].safeParse(payload);
  if (!parsed.success) throw new Error(`invalid ${kind} job payload: ${payloadIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Writes a job of any kind, unchecked: for the runner's own tests, whose kinds are not in the catalog.
 * Everything else enqueues with `enqueue`.
 */
export async function enqueueRawJob(
  trx: Tx,
  job: { kind: string; payload: unknown } & EnqueueOptions,
): Promise<bigint> {
  const row = await trx
    .insertInto("job")
    .values({
      kind: job.kind,
      ordering_key: job.orderingKey ?? null,
      payload: JSON.stringify(job.payload ?? {}),
      slot: job.slot ?? null,
      ...(job.runAfter ? { run_after: job.runAfter } : {}),
    })
    .returning(["id", notifyJobWritten.as("notified")])
    .executeTakeFirstOrThrow();
  signalJobsWritten();
  return row.id;
}

export interface JobRecord {
  kind: JobKind;
  ordering_key: string | null;
  /** Checked by the kind's schema, not yet JSON text. */
  payload: unknown;
  slot: string | null;
  run_after?: Date;
}

/**
 * The row enqueue writes for a job, its payload checked but not yet JSON text: for a caller that writes its
 * jobs inside a larger statement (a payment writes all its rows in one). Throws like enqueue on a bad payload.
 */
export function jobRecord(job: NewJob): JobRecord {
  return recordOf(job.kind, job.payload, job);
}

function recordOf(kind: JobKind, payload: unknown, options: EnqueueOptions): JobRecord {
  return {
    kind,
    ordering_key: options.orderingKey ?? null,
    payload: checkedPayload(kind, payload),
    slot: options.slot ?? null,
    ...(options.runAfter ? { run_after: options.runAfter } : {}),
  };
}

function rowOf(kind: JobKind, payload: unknown, options: EnqueueOptions) {
  const record = recordOf(kind, payload, options);
  return { ...record, payload: JSON.stringify(record.payload) };
}
