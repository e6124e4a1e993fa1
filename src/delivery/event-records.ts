import type { Kysely, Selectable } from "kysely";
import type { CreditNoteTable, Database, PaymentTable, RefundTable } from "../db/schema.ts";
import { PermanentJobError } from "../jobs/job-runner.ts";
import type { EventSubject } from "./event-subject.ts";

/** The rows an event names, read when its job runs, so every attempt sends what the database holds. */
export interface EventRecords {
  payment?: Selectable<PaymentTable>;
  refund?: Selectable<RefundTable>;
  creditNote?: Selectable<CreditNoteTable>;
}

/**
 * Reads the payment, refund and credit note an event names. A named row that does not exist fails the job
 * for good: retrying cannot make it appear (ids come from the transaction that wrote both).
 */
export async function eventRecordsOf(
  db: Kysely<Database>,
  subject: EventSubject | null,
): Promise<EventRecords> {
  const records: EventRecords = {};
  if (subject?.payment_id !== undefined) {
    records.payment = found(
      "payment",
      subject.payment_id,
      await db.selectFrom("payment").selectAll().where("id", "=", subject.payment_id).executeTakeFirst(),
    );
  }
  if (subject?.refund_id !== undefined) {
    records.refund = found(
      "refund",
      subject.refund_id,
      await db.selectFrom("refund").selectAll().where("id", "=", subject.refund_id).executeTakeFirst(),
    );
  }
  if (subject?.credit_note_id !== undefined) {
    records.creditNote = found(
      "credit note",
      subject.credit_note_id,
      await db
        .selectFrom("credit_note")
        .selectAll()
        .where("id", "=", subject.credit_note_id)
        .executeTakeFirst(),
    );
  }
  return records;
}

function found<T>(what: string, id: string, row: T | undefined): T {
  if (row === undefined) throw new PermanentJobError(`${what} ${id} not found`);
  return row;
}
