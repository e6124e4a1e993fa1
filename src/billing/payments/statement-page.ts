import { sql } from "kysely";
import type { ServiceContext } from "../../kernel/context.ts";
import { customerBalance } from "../ledger/ledger.ts";
import { fieldError } from "./field-error.ts";
import { customerCreditHeld } from "./spendable-credit.ts";
import { type Statement, type StatementEntry, statementEntriesOf, statementEvents } from "./statement.ts";

/**
 * Which events a page holds, newest first: `limit` of them, older than `before`. No page skips events by
 * OFFSET (until 2026-12-07 a page by number did, grouping and sorting every event before it): a later page
 * starts below the event the one before it ended on.
 */
export interface StatementPageQuery {
  /** The `first` ledger row id of the event the previous page ended on: this page holds older ones only. */
  before?: bigint | undefined;
  limit: number;
  /** Whether to count the statement's events and entries (each count reads the customer's whole ledger). */
  count: boolean;
}

/** One page of the statement: its entries oldest first, running balances those of the whole statement. */
export type StatementPage = Omit<Statement, "entries"> & {
  entries: StatementEntry[];
  /** The `first` of the page's oldest event: the key the next (older) page starts below; null when empty. */
  oldest: string | null;
  /** Whether older events follow the page. */
  more: boolean;
  counts: { events: number; entries: number } | null;
};

/**
 * One page of the customer's statement (billing-rules §7) without reading the rest of it: the page's events
 * (newest first, keyed by their first ledger row id), and the balance brought forward, which the database sums
 * over every older event, so the page's running balances are the full statement's (customerStatement) to the
 * cent. What the page reads is its own rows whatever the customer's history; the sum and any count still scan
 * the customer's ledger rows, in the database, through ledger_entry_customer.
 */
export async function customerStatementPage(
  ctx: ServiceContext,
  customerId: bigint,
  query: StatementPageQuery,
): Promise<StatementPage> {
  const customer = await ctx.db
    .selectFrom("customer")
    .select("currency_code")
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw fieldError("NOT_FOUND", "customer_id", `customer ${customerId} not found`);
  const currency = customer.currency_code;
  const before = query.before;
  const read = await statementEvents(ctx, customerId, currency)
    .$if(before !== undefined, (q) => q.having(sql`min(id)`, "<", before!))
    .orderBy(sql`min(id)`, "desc")
    .limit(query.limit + 1)
    .execute();
  const shown = read.slice(0, query.limit).reverse();
  const oldest = shown[0] === undefined ? null : String(shown[0].first);
  const [opening, counts, balance, { credit, held }] = await Promise.all([
    oldest === null ? 0n : broughtForward(ctx, customerId, currency, BigInt(oldest)),
    query.count ? countsOf(ctx, customerId, currency) : null,
    customerBalance(ctx.db, customerId, currency),
    customerCreditHeld(ctx.db, customerId, currency),
  ]);
  return {
    customer_id: Number(customerId),
    currency,
    balance,
    credit,
    credit_held: held,
    entries: await statementEntriesOf(ctx, customerId, currency, shown, opening),
    oldest,
    more: read.length > query.limit,
    counts,
  };
}

/**
 * The running balance before the event whose first row is `first`: the effect of every older event, summed
 * by the database as numeric (read as digits, as the statement's own sums are).
 */
async function broughtForward(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  first: bigint,
): Promise<bigint> {
  const older = statementEvents(ctx, customerId, currency).having(sql`min(id)`, "<", first);
  const row = await ctx.db
    .selectFrom(older.as("e"))
    .select(sql<string>`coalesce(sum(e.effect), 0)`.as("sum"))
    .executeTakeFirstOrThrow();
  return BigInt(row.sum);
}

/**
 * How many events and entries the statement has: an entry per event, and a credit note paid back has one
 * more per payment method it paid back (statementEntriesOf).
 */
async function countsOf(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
): Promise<{ events: number; entries: number }> {
  const events = await ctx.db
    .selectFrom(statementEvents(ctx, customerId, currency).as("e"))
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  const ways = await ctx.db
    .selectFrom("ledger_entry")
    .innerJoin("payment", "payment.id", "ledger_entry.payment_id")
    .select([sql<string>`count(DISTINCT (ledger_entry.event_id, payment.method))`.as("ways")])
    .where("ledger_entry.customer_id", "=", customerId)
    .where("ledger_entry.currency_code", "=", currency)
    .where("ledger_entry.event_kind", "=", "credit_note")
    .where("ledger_entry.account", "=", "cash")
    .executeTakeFirstOrThrow();
  const n = Number(events.n);
  return { events: n, entries: n + Number(ways.ways) };
}
