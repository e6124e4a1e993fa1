import { sql } from "kysely";
import { actorLabel, actors } from "../../kernel/actor.ts";
import type { Tx } from "../../kernel/context.ts";
import { type LedgerEvent, postLedgerEvents } from "../ledger/ledger.ts";
import { minAmount } from "./allocate.ts";
import { settleInvoiceStatuses } from "./invoice-settlement.ts";
import { creditHeldForRefunds, creditKey, spendableOf } from "./spendable-credit.ts";

/**
 * Credit pays new invoices as they are finalized (billing-rules §7, CREDIT_APPLY_ON_FINALIZE): each invoice
 * takes min(its total, the customer's credit in its currency), in the order given; event `cra:<invoice>`
 * (credit +x, receivable −x). The customers holding credit are locked (in id order, as the batch is), so a
 * payment or refund of the same customer waits and no credit is spent twice; the finalizer has already locked
 * those it found before its drafts (finalize-invoices.ts), and this locks again only one that gained credit
 * since. Credit held for a credit note's pending card refund is not spent (spendable-credit.ts). Inside the
 * finalization transaction.
 */
export async function applyCreditAtFinalization(
  trx: Tx,
  invoices: readonly { id: string; customer_id: bigint; currency_code: string; total: bigint }[],
  now: Date,
): Promise<void> {
  const customerIds = [...new Set(invoices.filter((i) => i.total > 0n).map((i) => i.customer_id))].sort(
    (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  );
  if (customerIds.length === 0) return;
  // Only customers holding credit need a lock; the others' invoices are left alone.
  const holders = await trx
    .selectFrom("ledger_entry")
    .select(["customer_id", "currency_code"])
    .where("customer_id", "in", customerIds)
    .where("account", "=", "credit")
    .groupBy(["customer_id", "currency_code"])
    .having(sql`sum(amount)`, "<", 0)
    .execute();
  if (holders.length === 0) return;
  const lockIds = [...new Set(holders.map((h) => h.customer_id))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  await trx
    .selectFrom("customer")
    .select("id")
    .where("id", "in", lockIds)
    .orderBy("id")
    .forUpdate()
    .execute();
  // Read again under the lock: what a committed refund took back is gone.
  const credits = await trx
    .selectFrom("ledger_entry")
    // numeric, not int8: a customer's credit entries may add up beyond it (src/billing/ledger/ledger.ts).
    .select(["customer_id", "currency_code", sql<string>`-sum(amount)`.as("credit")])
    .where("customer_id", "in", lockIds)
    .where("account", "=", "credit")
    .groupBy(["customer_id", "currency_code"])
    .execute();
  const held = await creditHeldForRefunds(trx, lockIds);
  const left = new Map(
    credits.map((c) => {
      const key = creditKey(c.customer_id, c.currency_code);
      return [key, spendableOf(BigInt(c.credit), held.get(key) ?? 0n)];
    }),
  );
  const events: LedgerEvent[] = [];
  const audits: { invoice: string; amount: bigint }[] = [];
  for (const inv of invoices) {
    const key = creditKey(inv.customer_id, inv.currency_code);
    const credit = left.get(key) ?? 0n;
    const x = minAmount(credit, inv.total);
    if (x <= 0n) continue;
    left.set(key, credit - x);
    audits.push({ invoice: inv.id, amount: x });
    events.push({
      id: `cra:${inv.id}`,
      kind: "credit_applied",
      customerId: inv.customer_id,
      currency: inv.currency_code,
      at: now,
      lines: [
        { account: "credit", amount: x, invoiceId: inv.id },
        { account: "receivable", amount: -x, invoiceId: inv.id },
      ],
    });
  }
  if (events.length === 0) return;
  await postLedgerEvents(trx, events);
  await settleInvoiceStatuses(
    trx,
    audits.map((a) => a.invoice),
    now,
  );
  // One audit row per invoice credit was applied to, as recordAudit writes them (the finalizer has no
  // request context: the actor is the billing run).
  await trx
    .insertInto("audit_log")
    .values(
      audits.map((a) => ({
        at: now,
        actor: actorLabel(actors.system("billing")),
        request_id: null,
        action: "invoice.apply_credit",
        entity: "invoice",
        entity_id: a.invoice,
        before: null,
        after: JSON.stringify({ credit_applied: String(a.amount) }),
      })),
    )
    .execute();
}
