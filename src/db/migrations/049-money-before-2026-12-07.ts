import { type Kysely, sql } from "kysely";
import { runStatements } from "../run-statements.ts";

// Money written before the fixes of 2026-12-07, made right once: a pending card refund's hold (holdPendingRefunds)
// and the statement's late balance rows (recordLateBalanceRows). Each part changes nothing when run again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await holdPendingRefunds(db);
  await recordLateBalanceRows(db);
}

// The late rows go (the statement before 049 reads none); the holds stay: taken back, that credit could be spent.
export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE IF EXISTS ledger_late_entry;");
}

// Migration 047 gave refund.credit_held its default 0 on every row, so a card refund of a payment asked before it
// ran and still pending holds nothing: its payment's unused credit pays the next invoice finalized before Stripe
// answers, and the refund, once made, reopens that invoice. Each such refund is given the hold creditToHold
// (refund-payment.ts) gives a refund asked now, oldest first, so each sees the holds of those asked before it.
//
// That is the safe bound, not the hold at creation, which the rows cannot give back: it depended on what the
// customer's other pending refunds held then, and when a refund stopped being pending is stored nowhere (a failed
// one writes no ledger row). The bound is what the refund's plan would take from credit if Stripe said succeeded
// now: at most its amount, its payment's credit part less its earlier refunds' holds, and the credit nothing
// else holds. So it holds no credit the refund will not take back, nor credit a credit note's refund holds.
// Credit spent since the refund was asked is gone: that invoice reopens when the refund succeeds, as it did
// before 047 (docs/payments.md, "Credit").
//
// Only refunds asked before 047 ran: one asked since was given its hold when asked, 0 included. A refund
// already holding something is left as it is, so running this again changes nothing. Runs on PGlite and
// PostgreSQL alike: plain SQL, a statement at a time, in the migrations' transaction (migrate.ts).

interface Asked {
  id: string;
  payment_id: string;
  customer_id: string;
  currency_code: string;
  amount: string;
}

async function holdPendingRefunds(db: Kysely<unknown>): Promise<void> {
  const asked = await sql<Asked>`
    SELECT r.id, r.payment_id, p.customer_id::text AS customer_id, p.currency_code, r.amount::text AS amount
      FROM refund r JOIN payment p ON p.id = r.payment_id
     WHERE r.status = 'pending' AND r.credit_note_id IS NULL AND r.credit_held = 0
       AND r.created_at < (SELECT timestamp::timestamptz FROM kysely_migration WHERE name = '047-refund-credit-held')
     ORDER BY r.created_at, r.id`.execute(db);
  for (const refund of asked.rows) {
    const held = await creditToHoldNow(db, refund);
    if (held > 0n)
      await sql`UPDATE refund SET credit_held = ${held} WHERE id = ${refund.id} AND credit_held = 0`.execute(
        db,
      );
  }
}

/** creditToHold's sums (refund-payment.ts creditPartLeft, spendable-credit.ts), written out as they are today. */
async function creditToHoldNow(db: Kysely<unknown>, r: Asked): Promise<bigint> {
  const { rows } = await sql<
    Record<"credit_lines" | "reopened" | "payment_held" | "credit" | "held", string>
  >`
    SELECT
      (SELECT coalesce(-sum(amount), 0) FROM ledger_entry
        WHERE payment_id = ${r.payment_id} AND account = 'credit')::text AS credit_lines,
      (SELECT coalesce(sum(e.amount), 0) FROM ledger_entry e JOIN refund f ON f.id = e.refund_id
        WHERE f.payment_id = ${r.payment_id} AND e.event_kind = 'refund' AND e.account = 'receivable'
          AND e.payment_id IS NULL)::text AS reopened,
      (SELECT coalesce(sum(credit_held), 0) FROM refund
        WHERE payment_id = ${r.payment_id} AND status = 'pending')::text AS payment_held,
      (SELECT coalesce(-sum(amount), 0) FROM ledger_entry
        WHERE customer_id = ${r.customer_id} AND currency_code = ${r.currency_code} AND account = 'credit')::text
        AS credit,
      ((SELECT coalesce(sum(f.amount), 0) FROM refund f JOIN credit_note n ON n.id = f.credit_note_id
         WHERE n.customer_id = ${r.customer_id} AND n.currency_code = ${r.currency_code} AND f.status = 'pending')
       + (SELECT coalesce(sum(f.credit_held), 0) FROM refund f JOIN payment p ON p.id = f.payment_id
         WHERE p.customer_id = ${r.customer_id} AND p.currency_code = ${r.currency_code}
           AND f.status = 'pending'))::text AS held`.execute(db);
  const sums = rows[0]!;
  const partLeft = atLeastZero(BigInt(sums.credit_lines) - BigInt(sums.reopened));
  const part = partLeft - BigInt(sums.payment_held);
  const spendable = atLeastZero(BigInt(sums.credit) - BigInt(sums.held));
  return atLeastZero(least(BigInt(r.amount), least(part, spendable)));
}

const atLeastZero = (n: bigint) => (n > 0n ? n : 0n);
const least = (a: bigint, b: bigint) => (a < b ? a : b);

// The portal's statement page brings forward the balance rows below its oldest event's first row
// (statement-event-keys.ts): exact while no event has a balance row above a later event's first row. Until
// 2026-12-07 a billing run's insert and a payment's (or another money event's) could draw one customer's ids at
// once, so an event written so may have one: a "late" row. Below that later event the page left it out, and
// every running balance on the page was off by it. They are kept here, few and never more (every event is
// written one at a time since), and the page adds those of older events above its first row
// (statement-page.ts).
async function recordLateBalanceRows(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE IF NOT EXISTS ledger_late_entry (
       entry_id bigint PRIMARY KEY REFERENCES ledger_entry (id),
       customer_id bigint NOT NULL,
       currency_code text NOT NULL,
       event_first bigint NOT NULL,
       amount bigint NOT NULL,
       CHECK (entry_id > event_first)
     );
     CREATE INDEX IF NOT EXISTS ledger_late_entry_customer ON ledger_late_entry (customer_id, currency_code, entry_id);`,
  );
  // An event's row is late when the customer's next event (in first-row order) starts below it.
  await sql`
    WITH event AS (
      SELECT event_id, customer_id, currency_code, min(id) AS first FROM ledger_entry
       GROUP BY event_id, customer_id, currency_code),
    next AS (
      SELECT event_id, first,
             lead(first) OVER (PARTITION BY customer_id, currency_code ORDER BY first) AS next_first
        FROM event)
    INSERT INTO ledger_late_entry (entry_id, customer_id, currency_code, event_first, amount)
    SELECT e.id, e.customer_id, e.currency_code, next.first, e.amount
      FROM ledger_entry e JOIN next ON next.event_id = e.event_id
     WHERE e.account IN ('receivable', 'credit') AND e.id > next.next_first
    ON CONFLICT (entry_id) DO NOTHING`.execute(db);
}
