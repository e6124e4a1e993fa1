import { sql } from "kysely";
import type { ServiceContext } from "../../kernel/context.ts";

// An event's key on the statement is its first ledger row's id (`first` in statementEvents): ids are unique, so
// the keys order the events totally, oldest first. A page reads keys as a range of the customer's index
// (ledger_entry_customer: customer_id, id), newest first, and stops at its LIMIT: a row is its event's first when
// no row of its event has a smaller id, which the event's own index answers in a few rows.
//
// The balance brought forward sums the customer's balance rows (receivable, credit) below a page's first key.
// That is exactly the older events' balance rows, because no event of a customer written since 2026-12-07 has a
// balance row above the first row of a later event of the same customer (those written before that do are kept
// by migration 049 in ledger_late_entry, and the page adds them: statement-page.ts):
// - every money event (payment, refund, credit note, credit applied, void) writes its rows after
//   lockCustomerForMoney (FOR UPDATE of the customer row) and before its commit, in one statement or in several
//   one event after another (postLedgerEvents writes each event's rows together, in order); so two money events of
//   one customer never write at once, and the later one's rows all come after the earlier one's;
// - a billing run's finalization takes the batch's customers FOR KEY SHARE before it writes (finalize-invoices.ts),
//   which waits for a money event holding the customer and makes one wait for the run; the ledger's foreign key
//   takes that lock anyway, but only once the insert has drawn its ids, so until 2026-12-07 a payment's rows could
//   fall among a finalization's (statement-event-order.db.test.ts). Two runs' finalizations may write one
//   customer's rows at once (the lock is shared), but an invoice's event has one balance row, its first.
// Ids are drawn from one sequence as rows are inserted, so rows written later have larger ids.

const INT8_MAX = 2n ** 63n - 1n;

/** The first ledger row of each of the customer's events in its currency, newest first, below `before` if given. */
export function eventFirstRows(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  before: bigint | undefined,
) {
  return (
    ctx.db
      .selectFrom("ledger_entry as r")
      .select(["r.id", "r.event_id"])
      // The customer's slice of its index, (customer, 0) to (customer, before), as two row comparisons rather than
      // `customer_id = …`: given the customer, the planner may walk the primary key backwards for the id order instead,
      // past every newer row of other customers (it did, 80,000 of them, for a customer of half the ledger).
      .where(sql<boolean>`(r.customer_id, r.id) > (${customerId}, 0)`)
      .where(sql<boolean>`(r.customer_id, r.id) < (${customerId}, ${before ?? INT8_MAX})`)
      .where("r.currency_code", "=", currency)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("ledger_entry as o")
              .select(sql`1`.as("one"))
              .whereRef("o.event_id", "=", "r.event_id")
              .whereRef("o.id", "<", "r.id"),
          ),
        ),
      )
      .orderBy("r.customer_id", "desc")
      .orderBy("r.id", "desc")
  );
}
