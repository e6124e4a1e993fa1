import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";
import { addDays } from "../runs/calendar-date.ts";

/**
 * One page of the customers a scheduled run looks at, after `after` in id order (keyset pagination: the
 * run holds one page at a time, however many customers there are): those with an open episode, and those
 * with a finalized or partly paid invoice whose first rung has come (due date + first rung's days ≤ today).
 * Which of them really owe anything is the ledger's answer, asked per customer. With `openEpisodesOnly`
 * (dunning switched off: no new rung, only episodes to end) just those with an open episode.
 */
export async function dunningCandidates(
  db: Tx,
  input: { after: bigint; limit: number; today: string; firstStepDays: number; openEpisodesOnly?: boolean },
): Promise<bigint[]> {
  if (input.openEpisodesOnly) {
    const open = await db
      .selectFrom("dunning_episode")
      .select("customer_id")
      .where("ended_at", "is", null)
      .where("customer_id", ">", input.after)
      .orderBy("customer_id")
      .limit(input.limit)
      .execute();
    return open.map((r) => BigInt(r.customer_id));
  }
  // due_date + days ≤ today ⇔ due_date ≤ today − days: compared as text, as YYYY-MM-DD sorts by date.
  const latestDue = addDays(input.today, -input.firstStepDays);
  const rows = await sql<{ customer_id: bigint }>`
    SELECT customer_id FROM (
      SELECT i.customer_id FROM invoice i
        LEFT JOIN invoice_due_extension x ON x.invoice_id = i.id
        WHERE i.status IN ('finalized', 'partially_paid') AND i.customer_id > ${input.after}
          AND coalesce(x.due_date, i.due_date) <= ${latestDue}
      UNION
      SELECT customer_id FROM dunning_episode WHERE ended_at IS NULL AND customer_id > ${input.after}
    ) c ORDER BY customer_id LIMIT ${input.limit}`.execute(db);
  return rows.rows.map((r) => BigInt(r.customer_id));
}
