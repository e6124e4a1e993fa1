import { sql } from "kysely";
import type { ServiceContext } from "../../kernel/context.ts";
import { fieldError } from "./field-error.ts";
import { customerCreditHeld } from "./spendable-credit.ts";
import {
  type Statement,
  type StatementEntry,
  statementEntriesOf,
  statementEventsNamed,
} from "./statement.ts";
import { eventFirstRows } from "./statement-event-keys.ts";

/**
 * Which events a page holds, newest first: `limit` of them, older than `before`. No page skips events by
 * OFFSET (until 2026-12-07 a page by number did, grouping and sorting every event before it): a later page
 * starts below the event the one before it ended on.
 */
export interface StatementPageQuery {
  /** The `first` ledger row id of the event the previous page ended on: this page holds older ones only. */
  before?: bigint | undefined;
  limit: number;
  /** Whether to count the statement's events and entries: only done for a statement of `countUpTo` events or fewer. */
  count: boolean;
  /** The most events a statement is counted at (STATEMENT_COUNT_UP_TO by default); beyond, `counts` is null. */
  countUpTo?: number;
}

/**
 * A statement is counted ("Page 1 of 5") while it has at most this many events: counting reads every event, so
 * a longer history's first page would cost that history again (until 2026-12-07 every first page counted).
 */
export const STATEMENT_COUNT_UP_TO = 1000;

/** One page of the statement: its entries oldest first, running balances those of the whole statement. */
export type StatementPage = Omit<Statement, "entries"> & {
  entries: StatementEntry[];
  /** The `first` of the page's oldest event: the key the next (older) page starts below; null when empty. */
  oldest: string | null;
  /** Whether older events follow the page. */
  more: boolean;
  /** Null when not asked for, or when the statement has more than `countUpTo` events. */
  counts: { events: number; entries: number } | null;
};

/**
 * One page of the customer's statement (billing-rules §7) without reading the rest of it: the page's events are a
 * range of the customer's index (each event keyed by its first ledger row, statement-event-keys.ts), read
 * newest first and cut at `limit` + 1; then their rows, by event. The balance brought forward is the sum of the
 * customer's balance entries below the page's first row, summed with the closing balance in one index-only scan
 * (ledger_entry_balance, migration 048): O(the customer's history), but a few dozen bytes an entry, never the
 * rows themselves. Until 2026-12-07 every view grouped all of the customer's rows into events, then cut the page.
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
  const keys = await eventFirstRows(ctx, customerId, currency, query.before)
    .limit(query.limit + 1)
    .execute();
  const shownKeys = keys.slice(0, query.limit).map((k) => k.event_id);
  const shown =
    shownKeys.length === 0 ? [] : await statementEventsNamed(ctx, shownKeys).orderBy(sql`min(id)`).execute();
  const oldest = shown[0] === undefined ? null : String(shown[0].first);
  const first = oldest === null ? 0n : BigInt(oldest);
  const [sums, late, counts, { credit, held }] = await Promise.all([
    balanceSums(ctx, customerId, currency, first),
    lateAbove(ctx, customerId, currency, first),
    query.count ? countsUpTo(ctx, customerId, currency, query.countUpTo ?? STATEMENT_COUNT_UP_TO) : null,
    customerCreditHeld(ctx.db, customerId, currency),
  ]);
  return {
    customer_id: Number(customerId),
    currency,
    balance: sums.balance,
    credit,
    credit_held: held,
    entries: await statementEntriesOf(ctx, customerId, currency, shown, sums.forward + late),
    oldest,
    more: keys.length > query.limit,
    counts,
  };
}

/**
 * The customer's balance (Σ receivable and credit entries, as customerBalance) and the running balance before
 * the event whose first row is `first`: the balance entries below that row. They are the older events' but for
 * rows written before 2026-12-07, which lateAbove adds (statement-event-keys.ts says why no later one lies above
 * a later event's first row). Summed by the
 * database as numeric and read as digits, as the statement's own sums are; the accounts are written out, not
 * parameters, so that the planner matches the partial index whatever plan it keeps for the statement.
 */
async function balanceSums(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  first: bigint,
): Promise<{ balance: bigint; forward: bigint }> {
  const row = await ctx.db
    .selectFrom("ledger_entry")
    .select([
      sql<string>`coalesce(sum(amount), 0)`.as("balance"),
      sql<string>`coalesce(sum(amount) FILTER (WHERE id < ${first}), 0)`.as("forward"),
    ])
    .where("customer_id", "=", customerId)
    .where("currency_code", "=", currency)
    .where(sql<boolean>`account IN ('receivable', 'credit')`)
    .executeTakeFirstOrThrow();
  return { balance: BigInt(row.balance), forward: BigInt(row.forward) };
}

/**
 * The balance rows of events older than the one whose first row is `first` that lie above it: rows written
 * before 2026-12-07 while another event of the customer was being written (migration 049 keeps them, few). The
 * balance brought forward is the rows below `first` and these; without them a page that began between such an
 * event's rows showed every running balance off by them.
 */
async function lateAbove(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  first: bigint,
): Promise<bigint> {
  const row = await ctx.db
    .selectFrom("ledger_late_entry")
    .select(sql<string>`coalesce(sum(amount), 0)`.as("late"))
    .where("customer_id", "=", customerId)
    .where("currency_code", "=", currency)
    .where("event_first", "<", first)
    .where("entry_id", ">", first)
    .executeTakeFirstOrThrow();
  return BigInt(row.late);
}

/**
 * How many events and entries the statement has, when it has at most `upTo` events (else null): the events are
 * counted from the index up to one past `upTo`, and only a statement that short is counted in full. An entry
 * per event, and a credit note paid back has one more per payment method it paid back (statementEntriesOf).
 */
async function countsUpTo(
  ctx: ServiceContext,
  customerId: bigint,
  currency: string,
  upTo: number,
): Promise<{ events: number; entries: number } | null> {
  const events = await ctx.db
    .selectFrom(
      eventFirstRows(ctx, customerId, currency, undefined)
        .limit(upTo + 1)
        .as("e"),
    )
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  const n = Number(events.n);
  if (n > upTo) return null;
  const ways = await ctx.db
    .selectFrom("ledger_entry")
    .innerJoin("payment", "payment.id", "ledger_entry.payment_id")
    .select([sql<string>`count(DISTINCT (ledger_entry.event_id, payment.method))`.as("ways")])
    .where("ledger_entry.customer_id", "=", customerId)
    .where("ledger_entry.currency_code", "=", currency)
    .where("ledger_entry.event_kind", "=", "credit_note")
    .where("ledger_entry.account", "=", "cash")
    .executeTakeFirstOrThrow();
  return { events: n, entries: n + Number(ways.ways) };
}
