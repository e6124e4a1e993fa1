import { CompiledQuery, type Kysely, type KyselyPlugin, type RootOperationNode, sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trimOldRows } from "../src/app/housekeeping.ts";
import { dunningCandidates } from "../src/billing/dunning/dunning-candidates.ts";
import { applyCreditAtFinalization } from "../src/billing/payments/apply-credit.ts";
import { customerStatementPage } from "../src/billing/payments/statement-page.ts";
import { listInvoices } from "../src/billing/invoices/list-invoices.ts";
import { listPayments } from "../src/billing/payments/get-payment.ts";
import { SnapshotUsageSource } from "../src/billing/usage/snapshot-usage-source.ts";
import { parseConfig } from "../src/config.ts";
import type { DatabaseHandle } from "../src/db/open-database.ts";
import type { Database } from "../src/db/schema.ts";
import { claimJobs } from "../src/jobs/claim-jobs.ts";
import { readJobQueue } from "../src/metrics/job-queue-metrics.ts";
import { listFailedJobs } from "../src/services/jobs/failed-jobs.ts";
import { lateRowsCheck } from "../src/services/setup/ledger-late-rows-check.ts";
import { listFailingProviderEvents } from "../src/billing/providers/failing-provider-events.ts";
import { providerEventsCheck } from "../src/services/setup/provider-events-check.ts";
import { listPortalPayments } from "../src/services/portal/portal-payments.ts";
import { listCreditNotes } from "../src/billing/credit-notes/get-credit-note.ts";
import { actors } from "../src/kernel/actor.ts";
import type { ServiceContext } from "../src/kernel/context.ts";
import { listAuditLog } from "../src/services/audit-log/list-audit-log.ts";
import { listCustomers } from "../src/services/customers/customers.ts";
import { listSolusioCalls } from "../src/services/sync/list-solusio-calls.ts";
import { createTestDatabase } from "./helpers/test-database.ts";

// Every list filter is served by an index (issue 13 §6), checked on PostgreSQL with EXPLAIN over tables
// filled well past where a sequential scan is the cheap plan. The statements explained are the ones the
// verbs really send (captured by a Kysely plugin), so a changed query is checked as it is. PGlite is one
// process's embedded database and its planner is PostgreSQL's own: the check runs on PostgreSQL only.

const onPostgres = process.env["DATABASE_URL"] !== undefined;
const BIG_TABLES = new Set([
  "customer",
  "invoice",
  "payment",
  "audit_log",
  "solusio_call",
  "job",
  "credit_note",
  "ledger_entry",
  "ledger_late_entry",
  "server_snapshot",
  "server_event",
  "provider_event",
]);

let handle: DatabaseHandle;
let captured: CompiledQuery[] = [];
let ctx: ServiceContext;

/** Records each statement as compiled, then lets it run. */
function capturing(db: Kysely<Database>): Kysely<Database> {
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      captured.push(db.getExecutor().compileQuery(args.node as RootOperationNode, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return db.withPlugin(plugin);
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  "Plan Rows": number;
  Plans?: PlanNode[];
}

const INDEX_SCANS = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"]);

/** An index's first key column (or expression) as plans print it, whether it is partial, and its table's rows. */
async function indexShape(name: string): Promise<{ leading: string; partial: boolean; rows: number }> {
  const { rows } = await sql<{ leading: string; partial: boolean; rows: number }>`
    SELECT pg_get_indexdef(i.indexrelid, 1, true) AS leading, i.indpred IS NOT NULL AS partial,
           t.reltuples::float8 AS rows
    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
    WHERE i.indexrelid = to_regclass(${name})`.execute(handle.db);
  return rows[0]!;
}

/**
 * Why an index scan of a big table reads the whole index to find a few rows, or undefined when it does not.
 * Its Index Cond must bound the index's first column: PostgreSQL 15 also checks a later column's condition
 * in the index, but walks all of it (one customer's invoices read all of invoice_status: 440 ms for 6 rows
 * of 600,495). A scan with no Index Cond is bounded when the index is partial, or reads an index for its
 * order up to the page's LIMIT: unfiltered, or filtered by a condition that keeps at least 1 row in 100
 * (a page is then found within ~100 pages' worth of entries), as the planner estimates it.
 */
async function wholeIndexRead(node: PlanNode): Promise<string | undefined> {
  if (!INDEX_SCANS.has(node["Node Type"]) || !BIG_TABLES.has(node["Relation Name"]!)) return undefined;
  const { leading, partial, rows } = await indexShape(node["Index Name"]!);
  const cond = node["Index Cond"];
  if (cond?.includes(leading)) return undefined;
  const checked = cond ?? node.Filter;
  if (checked === undefined || (cond === undefined && partial)) return undefined;
  if (node["Plan Rows"] >= rows / 100) return undefined;
  return `${node["Index Name"]} (first column ${leading}) walked for ${checked}, ~${node["Plan Rows"]} of ${rows} rows`;
}

/** Every node of a plan; a Bitmap Index Scan names no table, so it gets its Bitmap Heap Scan's. */
function nodesOf(plan: PlanNode, heap?: string): PlanNode[] {
  const node = plan["Relation Name"] === undefined && heap ? { ...plan, "Relation Name": heap } : plan;
  const below = plan["Node Type"] === "Bitmap Heap Scan" ? plan["Relation Name"] : heap;
  return [node, ...(plan.Plans ?? []).flatMap((child) => nodesOf(child, below))];
}

/**
 * No statement `run` sends scans a big table sequentially, or reads a whole index of one to filter it row by row,
 * and they use an index on `table`: which ones.
 * `which` picks the statements checked (all by default).
 */
async function expectIndexed(
  table: string,
  run: () => Promise<unknown>,
  which: (sql: string) => boolean = () => true,
): Promise<string[]> {
  captured = [];
  await run();
  const checked = captured.filter((query) => which(query.sql));
  expect(checked.length).toBeGreaterThan(0);
  const indexes: string[] = [];
  for (const query of checked) {
    const explained = await handle.db.executeQuery<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${query.sql}`, [...query.parameters]),
    );
    const nodes = nodesOf(explained.rows[0]!["QUERY PLAN"][0].Plan);
    const seqScans = nodes.filter(
      (n) => n["Node Type"] === "Seq Scan" && BIG_TABLES.has(n["Relation Name"]!),
    );
    expect(seqScans.map((n) => `${n["Relation Name"]} in ${query.sql}`)).toEqual([]);
    const wholeIndexReads = [];
    for (const node of nodes) {
      const why = await wholeIndexRead(node);
      if (why !== undefined) wholeIndexReads.push(`${why} in ${query.sql}`);
    }
    expect(wholeIndexReads).toEqual([]);
    for (const node of nodes)
      if (node["Index Name"] !== undefined && node["Relation Name"] === table)
        indexes.push(node["Index Name"]);
  }
  expect(indexes.length, `no index on ${table} used`).toBeGreaterThan(0);
  return [...new Set(indexes)];
}

const page = { page: 1, per_page: 50 };

/** The statements that read a page (the count is checked where the list's other tests check it). */
const pageOnly = (text: string) => /order by/i.test(text);
/** The statements that read a page of `table` itself, not the page's rows of other tables. */
const pageOf = (table: string) => (text: string) => pageOnly(text) && text.includes(`from "${table}"`);

/**
 * A cursor's next page is a range of an index: besides expectIndexed's checks, every scan of `table` is
 * bounded by an Index Cond (a scan without one would walk the index from the list's start up to the cursor,
 * which is what an OFFSET did) and nothing large is sorted (ties within an index's order are: Incremental Sort).
 */
async function expectKeyset(table: string, run: () => Promise<unknown>): Promise<string[]> {
  const indexes = await expectIndexed(table, run, pageOf(table));
  for (const query of captured.filter((q) => pageOf(table)(q.sql))) {
    const explained = await handle.db.executeQuery<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${query.sql}`, [...query.parameters]),
    );
    const nodes = nodesOf(explained.rows[0]!["QUERY PLAN"][0].Plan);
    // A sort of a few matches (a small group's, found by a bitmap) is the planner's cheap choice; a sort of
    // 1 % of the table or more is the walk the cursor is there to avoid.
    const { rows } = await indexShape(`${table}_pkey`);
    const bigSorts = nodes.filter(
      (n) => n["Node Type"] === "Sort" && (n.Plans?.[0]?.["Plan Rows"] ?? 0) >= rows / 100,
    );
    expect(bigSorts.map(() => query.sql)).toEqual([]);
    const unbounded = nodes.filter(
      (n) => INDEX_SCANS.has(n["Node Type"]) && n["Relation Name"] === table && n["Index Cond"] === undefined,
    );
    expect(unbounded.map((n) => `${n["Index Name"]} in ${query.sql}`)).toEqual([]);
  }
  return indexes;
}

class RolledBack extends Error {}

describe.skipIf(!onPostgres)("list filters use indexes (PostgreSQL)", () => {
  beforeAll(async () => {
    handle = await createTestDatabase();
    const db = handle.db;
    const run = (query: string) => sql.raw(query).execute(db);
    // 20,000 customers: 1 % suspended, 1 % failing to sync, in 19 client groups of about 1,050 and one of 40.
    await run(`INSERT INTO client_group (name) SELECT 'group ' || g FROM generate_series(1, 20) g`);
    await run(`
      INSERT INTO customer (email, name, country, currency_code, status, sync_state, client_group_id)
      SELECT substr(md5(n::text), 1, 12) || '@example.com', 'Customer ' || substr(md5('name' || n), 1, 10),
             'GB', 'USD',
             CASE WHEN n % 100 = 0 THEN 'suspended' ELSE 'active' END,
             CASE WHEN n % 100 = 7 THEN 'failed' ELSE 'in_sync' END,
             (SELECT min(id) FROM client_group) + CASE WHEN n % 500 = 0 THEN 19 ELSE n % 19 END
      FROM generate_series(1, 20000) n`);
    // Six periods of invoices (120,000): nearly all paid, 1 % still open (finalized), in one run per period.
    await run(`
      INSERT INTO billing_run (id, period, period_start, period_end, source, state, actor, started_at, heartbeat_at)
      SELECT 'run_' || p, '2026-0' || p, now(), now() + interval '1 day', 'solusio', 'completed', 'test',
             now(), now()
      FROM generate_series(1, 6) p`);
    await run(`
      INSERT INTO invoice (id, customer_id, period, period_start, period_end, status, number, number_sequence,
        number_value, customer_name, customer_email, customer_country, currency_code, currency,
        base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal, discount_total, net, tax_total, total,
        fingerprint, billing_run_id, issue_date, due_date, paid_date, paid_amount)
      SELECT 'inv_' || to_hex(p * 100000 + c.id::int), c.id, '2026-0' || p, now(), now() + interval '1 day',
             CASE WHEN c.id % 100 = 3 THEN 'finalized' ELSE 'paid' END,
             'INV-' || (p * 100000 + c.id), 'INV', p * 100000 + c.id, c.name, c.email, 'GB', 'USD', '{}',
             0.001, false, false, 1000, 100, 0, 100, 0, 100, 'f', 'run_' || p,
             '2026-0' || p || '-01', '2026-0' || p || '-15',
             CASE WHEN c.id % 100 = 3 THEN NULL ELSE '2026-0' || p || '-10' END,
             CASE WHEN c.id % 100 = 3 THEN NULL ELSE 100 END
      FROM customer c, generate_series(1, 6) p`);
    // Each period's payments received at one instant (ties the cursor must walk), on the 10th of the month
    // after it; 1 % by hand (manual) and 1 % in EUR, as a few of a book's payments are.
    await run(`
      INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, invoice_id, paid_at)
      SELECT 'pay_' || substr(i.id, 5), i.customer_id,
             CASE WHEN i.customer_id % 100 = 13 THEN 'EUR' ELSE 'USD' END, 100,
             CASE WHEN i.customer_id % 100 = 11 THEN 'manual' ELSE 'bank_transfer' END, i.number, i.id,
             (i.period || '-10 12:00:00+00')::timestamptz + interval '1 month'
      FROM invoice i WHERE i.status = 'paid'`);
    // The ledger as finalization and payment left it: receivable and sales for every invoice, cash and
    // receivable for every payment (480,000 entries); 1 % of customers also hold credit.
    await run(`
      INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, amount)
      SELECT 'fin:' || i.id, 'invoice_finalized', i.customer_id, 'USD', a.account, i.id, a.sign * i.total
      FROM invoice i, (VALUES ('receivable', 1), ('sales', -1)) AS a (account, sign)`);
    await run(`
      INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, payment_id, amount)
      SELECT 'pay:' || p.id, 'payment', p.customer_id, 'USD', a.account,
             CASE WHEN a.account = 'receivable' THEN p.invoice_id END, p.id, a.sign * p.amount
      FROM payment p, (VALUES ('cash', 1), ('receivable', -1)) AS a (account, sign)`);
    await run(`
      INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, amount)
      SELECT 'opening:' || c.id, 'opening', c.id, 'USD', a.account, a.sign * 500
      FROM customer c, (VALUES ('cash', 1), ('credit', -1)) AS a (account, sign) WHERE c.id % 100 = 5`);
    // A credit note on every other customer's last invoice (10,000), numbered in one series as issued.
    await run(`
      INSERT INTO credit_note (id, invoice_id, customer_id, number, number_sequence, number_value, currency_code,
        currency, net, tax_total, total, reason, settlement, issue_date)
      SELECT 'cn_' || to_hex(i.customer_id::int), i.id, i.customer_id, 'CN-' || i.customer_id, 'CN', i.customer_id,
             'USD', '{}', 10, 0, 10, 'outage', 'credit', '2026-07-01'
      FROM invoice i WHERE i.period = '2026-06' AND i.customer_id % 2 = 0`);
    // 100,000 audit rows by one API key, a few by the CLI; 100,000 calls, 1 % failed (0.1 % with a 500);
    // 100,000 jobs, most done.
    await run(`
      INSERT INTO audit_log (actor, action, entity, entity_id)
      SELECT CASE WHEN n % 1000 = 0 THEN 'cli' ELSE 'apikey:key_1' END, 'update', 'customer', (n % 20000)::text
      FROM generate_series(1, 100000) n`);
    await run(`
      INSERT INTO solusio_call (at, method, path, status, duration_ms, attempt, error)
      SELECT now() - n * interval '15 seconds', 'GET', 'users',
             CASE WHEN n % 1000 = 0 THEN 500 WHEN n % 100 = 0 THEN 503 ELSE 200 END, 20, 1,
             CASE WHEN n % 100 = 0 THEN 'HTTP 503' END
      FROM generate_series(1, 100000) n`);
    await run(`
      INSERT INTO job (kind, status, updated_at)
      SELECT 'solusio.sync_customer',
             CASE WHEN n % 2000 = 0 THEN 'pending' WHEN n % 5000 = 7 THEN 'failed' ELSE 'done' END,
             now() - CASE WHEN n % 1000 = 1 THEN interval '90 days' ELSE interval '1 hour' END
      FROM generate_series(1, 100000) n`);
    // 5,000 jobs that failed for good, a second apart with ties in tens, to walk deep into the failed-jobs list.
    await run(`
      INSERT INTO job (kind, status, updated_at)
      SELECT 'solusio.sync_customer', 'failed', now() - (n / 10) * interval '1 second'
      FROM generate_series(1, 5000) n`);
    // The month's recorded usage: three sighted servers a customer, and their creations in the activity log.
    await run(`UPDATE customer SET solusio_user_id = 100000 + id`);
    await run(`
      INSERT INTO server_snapshot (server_id, uuid, name, solusio_user_id, billing_user_id, plan_name,
        tokens_per_hour, tokens_per_month, ip_tokens_per_hour, ip_tokens_per_month, additional_ips, created_at,
        first_seen_at, last_seen_at)
      SELECT c.id * 3 + s, 'uuid', 'vps', c.solusio_user_id, c.id, '7/5000', 7, 5000, 0, 0, 0,
             '2026-06-01', '2026-06-01', now()
      FROM customer c, generate_series(0, 2) s`);
    await run(`
      INSERT INTO server_segment (server_id, seq, started_at, solusio_user_id, billing_user_id, plan_name,
        tokens_per_hour, tokens_per_month, ip_tokens_per_hour, ip_tokens_per_month, backup_percent,
        backups_enabled, additional_ips)
      SELECT server_id, 0, created_at, solusio_user_id, billing_user_id, plan_name, 7, 5000, 0, 0, 0, false, 0
      FROM server_snapshot`);
    await run(`
      INSERT INTO server_event (id, event, server_id, at, data)
      SELECT server_id, 'compute_resource_vm_created', server_id, '2026-06-01',
             jsonb_build_object('user_id', solusio_user_id, 'plan', jsonb_build_object('id', null, 'name', '7/5000',
               'tokens_per_hour', '7', 'tokens_per_month', '5000', 'ip_tokens_per_hour', '0',
               'ip_tokens_per_month', '0', 'backup_price', '0'))
      FROM server_snapshot`);
    // Every event Stripe sent over the book's years, processed (200,000), and 3 stored failing.
    await run(`
      INSERT INTO provider_event (provider, event_id, type, payload, received_at, processed_at, error)
      SELECT 'stripe', 'evt_' || n, 'checkout.session.completed', '{}', now() - n * interval '1 minute',
             CASE WHEN n % 66667 = 1 THEN NULL ELSE now() END,
             CASE WHEN n % 66667 = 1 THEN 'at most 400 left to refund' END
      FROM generate_series(1, 200000) n`);
    // As autovacuum leaves them: planner statistics, and the trigram indexes' own counts (GIN keeps them in
    // its metapage, which only VACUUM updates).
    await run("VACUUM ANALYZE");
    ctx = {
      db: capturing(db),
      config: parseConfig({}),
      logger: pino({ level: "silent" }),
      actor: actors.cli(),
      now: () => new Date(),
    };
  }, 240_000);
  afterAll(async () => {
    await handle?.close();
  });

  it("customers by status, sync state, client group, e-mail and name", async () => {
    const list = (filter: object) => () => listCustomers({ ctx, input: { ...page, ...filter } });
    expect(await expectIndexed("customer", list({ status: "suspended" }))).toContain("customer_status");
    expect(await expectIndexed("customer", list({ sync_state: "failed" }))).toContain("customer_sync_state");
    // A client group's customers in id order from one index (migration 033): neither the primary key walked
    // checking each customer's group, nor the group's customers found and then sorted. A large group may be
    // read by the primary key, where about every 20th customer is one of its own.
    const groups = await sql<{ large: string; small: string }>`
      SELECT min(id) AS large, max(id) AS small FROM client_group`.execute(handle.db);
    const small = list({ client_group_id: BigInt(groups.rows[0]!.small) });
    expect(await expectIndexed("customer", small)).toEqual(["customer_client_group_list"]);
    await expectKeyset("customer", small);
    await expectIndexed("customer", list({ client_group_id: BigInt(groups.rows[0]!.large) }));
    const { rows } = await sql<{ email: string; name: string }>`
      SELECT email, name FROM customer ORDER BY id OFFSET 1234 LIMIT 1`.execute(handle.db);
    const email = rows[0]!.email.slice(2, 10);
    expect(await expectIndexed("customer", list({ email }))).toContain("customer_email_trgm");
    const search = rows[0]!.name.slice(-8);
    expect(await expectIndexed("customer", list({ search }))).toContain("customer_name_trgm");
  });

  it("customers walked by cursor: a range of the list's index, unfiltered and filtered", async () => {
    const groups = await sql<{ large: string; small: string }>`
      SELECT min(id) AS large, max(id) AS small FROM client_group`.execute(handle.db);
    const small = BigInt(groups.rows[0]!.small);
    const large = BigInt(groups.rows[0]!.large);
    for (const filter of [
      {},
      { client_group_id: large },
      { client_group_id: small },
      { status: "suspended" as const },
    ]) {
      const deep = await listCustomers({ ctx, input: { page: 3, per_page: 10, ...filter } });
      const cursor = deep.meta.next_cursor!;
      expect(cursor).toEqual(expect.any(String));
      const used = await expectKeyset("customer", () =>
        listCustomers({ ctx, input: { ...page, ...filter, cursor } }),
      );
      if (filter.client_group_id === small) expect(used).toEqual(["customer_client_group_list"]);
    }
  });

  it("one customer's recorded usage, as the portal's estimate reads it (migration 019)", async () => {
    const customer = 1234n;
    const period = { start: new Date("2026-07-01"), end: new Date("2026-07-15"), billingUserId: customer };
    for (const name of ["snapshots", "activity", "snapshots+activity"] as const) {
      const read = async () => {
        for await (const _ of new SnapshotUsageSource(ctx.db, name).fetchUsage(period));
      };
      const snapshots = await expectIndexed("server_snapshot", read);
      if (name !== "activity")
        expect(snapshots).toEqual(
          expect.arrayContaining(["server_snapshot_billing_user", "server_snapshot_solusio_user"]),
        );
      if (name !== "snapshots")
        expect(await expectIndexed("server_event", read)).toContain("server_event_created_by");
    }
  });

  it("invoices by status, customer, period and number; open ones for dunning", async () => {
    const list = (filter: object) => () => listInvoices({ ctx, input: { ...page, ...filter } });
    expect(await expectIndexed("invoice", list({ status: "finalized" }))).toContain("invoice_status");
    // Unfiltered, or by period alone (the console's invoice page): in the list's order, without a sort of
    // the whole table for every page.
    expect(await expectIndexed("invoice", list({}))).toContain("invoice_list_order");
    expect(await expectIndexed("invoice", list({ period: "2026-03" }))).toContain("invoice_list_order");
    // One customer's invoices, bounded by the customer (migration 032), not all of invoice_status walked.
    expect(await expectIndexed("invoice", list({ customer_id: 1234n }))).toContain("invoice_customer_list");
    await expectIndexed("invoice", list({ number: "INV-301234" }));
    await expectIndexed("invoice", list({ period: "2026-03", status: "finalized" }));
    // A billing run's finalizing batch: the period's drafts after a customer, in customer order (the shape
    // finalize-invoices.ts sends). Migration 021 dropped the (period, status, customer_id) index it used.
    const drafts = () =>
      ctx.db
        .selectFrom("invoice")
        .select(["id", "customer_id", "currency_code", "total"])
        .where("period", "=", "2026-03")
        .where("status", "=", "draft")
        .where("customer_id", ">", 1000n)
        .orderBy("customer_id")
        .limit(500)
        .execute();
    expect(await expectIndexed("invoice", drafts)).toContain("invoice_status");
    const candidates = () =>
      dunningCandidates(ctx.db, { after: 0n, limit: 500, today: "2026-07-01", firstStepDays: -3 });
    expect(await expectIndexed("invoice", candidates)).toContain("invoice_status");
  });

  it("invoices walked by cursor: the rest of the cursor's period, then the periods before, each a range", async () => {
    for (const filter of [
      {},
      { status: "finalized" as const },
      { customer_id: 1234n },
      { period: "2026-03" },
    ]) {
      // Deep in a period (page 250 of 50 is the middle of the fifth period unfiltered), so a scan from the
      // period's start would show.
      const deep = await listInvoices({
        ctx,
        input: { page: "customer_id" in filter ? 1 : 250, per_page: 2, ...filter },
      });
      const cursor = deep.meta.next_cursor!;
      expect(cursor).toEqual(expect.any(String));
      const used = await expectKeyset("invoice", () =>
        listInvoices({ ctx, input: { ...page, ...filter, cursor } }),
      );
      if (Object.keys(filter).length === 0) expect(used).toContain("invoice_list_order");
    }
  });

  it("the credit of a finalization batch's customers, from the credit entries only", async () => {
    const { rows } = await sql<{ id: bigint; customer_id: bigint; total: bigint }>`
      SELECT id, customer_id, total FROM invoice WHERE period = '2026-06' ORDER BY customer_id LIMIT 1000`.execute(
      handle.db,
    );
    const batch = rows.map((r) => ({ ...r, id: String(r.id), currency_code: "USD" }));
    // Runs its statements (and spends credit) in a transaction that is rolled back: only the plans matter.
    const holders = () =>
      ctx.db
        .transaction()
        .execute(async (trx) => {
          await applyCreditAtFinalization(trx, batch, new Date());
          throw new RolledBack();
        })
        .catch((error: unknown) => {
          if (!(error instanceof RolledBack)) throw error;
        });
    const used = await expectIndexed("ledger_entry", holders);
    // The credit questions read the credit index; never every entry of the batch's customers.
    expect(used).toContain("ledger_entry_credit");
    expect(used).not.toContain("ledger_entry_customer");
  });

  it("one customer's statement page: its events, the balance brought forward and the counts, from its own rows", async () => {
    // The portal's statement (statement-page.ts) on every view: the page's events a range of the customer's index
    // cut at the page (until 2026-12-07 every event of the customer was grouped, then cut), their rows by the
    // event index, and the balance brought forward summed with the closing balance from the balance index alone.
    // A customer with credit (id % 100 = 5) has an opening event besides its invoices and payments.
    const keys = (text: string) => /not exists/i.test(text) && !/count\(\*\)/i.test(text);
    const events = (text: string) => /group by/i.test(text);
    const sums = (text: string) => /filter \(where id </i.test(text);
    for (const customer of [1234n, 4305n]) {
      const first = await customerStatementPage(ctx, customer, { limit: 5, count: true });
      expect(first.more, `customer ${customer} has more than a page`).toBe(true);
      expect(first.counts).not.toBeNull();
      const before = BigInt(first.oldest!);
      for (const query of [
        { limit: 5, count: true },
        { before, limit: 5, count: false },
      ]) {
        const page = () => customerStatementPage(ctx, customer, query);
        expect(await expectIndexed("ledger_entry", page, keys)).toEqual([
          "ledger_entry_customer",
          "ledger_entry_event",
        ]);
        expect(await expectIndexed("ledger_entry", page, events)).toEqual(["ledger_entry_event"]);
        expect(await expectIndexed("ledger_entry", page, sums)).toEqual(["ledger_entry_balance"]);
        const [sum] = captured.filter((q) => sums(q.sql));
        const explained = await handle.db.executeQuery<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${sum!.sql}`, [...sum!.parameters]),
        );
        const scans = nodesOf(explained.rows[0]!["QUERY PLAN"][0].Plan).filter(
          (n) => n["Relation Name"] === "ledger_entry",
        );
        expect(scans.map((n) => n["Node Type"])).toEqual(["Index Only Scan"]);
      }
    }
  });

  it("one customer's statement page: the late rows brought forward from ledger_late_entry's customer index", async () => {
    // The page adds the late balance rows of older events above its first row (statement-page.ts lateAbove):
    // one customer's range of the table's index, never the table. Filled here with a late row for every 10th
    // balance entry (about 24,000), as many as a ledger written at once for years could leave.
    await sql`INSERT INTO ledger_late_entry (entry_id, customer_id, currency_code, event_first, amount)
      SELECT id, customer_id, currency_code, id - 1, amount FROM ledger_entry
       WHERE account IN ('receivable', 'credit') AND id % 10 = 0`.execute(handle.db);
    await sql`ANALYZE ledger_late_entry`.execute(handle.db);
    const late = (text: string) => text.includes(`from "ledger_late_entry"`);
    const customer = 1234n;
    const first = await customerStatementPage(ctx, customer, { limit: 5, count: false });
    for (const query of [
      { limit: 5, count: false },
      { before: BigInt(first.oldest!), limit: 5, count: false },
    ]) {
      const page = () => customerStatementPage(ctx, customer, query);
      expect(await expectIndexed("ledger_late_entry", page, late)).toEqual(["ledger_late_entry_customer"]);
    }
    // The doctor's question (housekeeping's pass asks it too) reads the ledger above the watermark, here 0, in
    // id order up to its limit, and each row's event and the rows between from their indexes.
    const aboveMark = (text: string) => /fresh as/i.test(text);
    expect(await expectIndexed("ledger_entry", () => lateRowsCheck(ctx.db), aboveMark)).toEqual(
      expect.arrayContaining(["ledger_entry_pkey", "ledger_entry_event", "ledger_entry_customer"]),
    );
  });

  it("payments by customer, invoice, method, currency and the days received", async () => {
    const list = (filter: object) => () => listPayments({ ctx, input: { ...page, ...filter } });
    await expectIndexed("payment", list({ customer_id: 4321n }));
    // Every payment, newest first (the console's payments page): the page in the list's order, without a
    // sort of the table. Counting every payment is a scan by nature: a narrow table's is the cheap one.
    expect(await expectIndexed("payment", list({}), pageOnly)).toContain("payment_list_order");
    // Walked by cursor: one row comparison on the list's order, every payment here paid at the same instant.
    for (const filter of [{}, { customer_id: 4321n }]) {
      const cursor = (await listPayments({ ctx, input: { page: 1, per_page: 3, ...filter } })).meta
        .next_cursor!;
      await expectKeyset("payment", () => listPayments({ ctx, input: { ...page, ...filter, cursor } }));
    }
    const deep = (await listPayments({ ctx, input: { page: 1000, per_page: 50 } })).meta.next_cursor!;
    expect(await expectKeyset("payment", list({ cursor: deep }))).toEqual(["payment_list_order"]);
    // By method, by currency and by the days received: the page a range of the filter's own index (migration
    // 042), walked by cursor as a range of it too; a common method or currency is a range of the list's order.
    // (The count of a rare method's payments may read the smaller payment_method_reference.)
    const manual = list({ method: "manual" });
    expect(await expectIndexed("payment", manual, pageOnly)).toEqual(["payment_method_list"]);
    await expectIndexed("payment", manual);
    const euro = list({ currency: "EUR" });
    expect(await expectIndexed("payment", euro, pageOnly)).toEqual(["payment_currency_list"]);
    await expectIndexed("payment", euro);
    const april = { received_from: "2026-04-01", received_to: "2026-04-30" };
    expect(await expectIndexed("payment", list(april), pageOnly)).toContain("payment_list_order");
    const common = list({ method: "bank_transfer", currency: "USD" });
    expect(await expectIndexed("payment", common, pageOnly)).toContain("payment_list_order");
    for (const filter of [{ method: "manual" }, { currency: "EUR" }, { method: "manual", ...april }, april]) {
      const cursor = (await listPayments({ ctx, input: { page: 2, per_page: 3, ...filter } })).meta
        .next_cursor!;
      expect(cursor).toEqual(expect.any(String));
      await expectKeyset("payment", () => listPayments({ ctx, input: { ...page, ...filter, cursor } }));
    }
    const invoice = await sql<{ id: string }>`SELECT invoice_id AS id FROM payment LIMIT 1`.execute(
      handle.db,
    );
    // An invoice's payments are those recorded against it and those allocated to it (its receivable entries).
    const ofInvoice = list({ invoice_id: invoice.rows[0]!.id });
    expect(await expectIndexed("payment", ofInvoice)).toContain("payment_invoice");
    expect(await expectIndexed("ledger_entry", ofInvoice)).toContain("ledger_entry_invoice");
  });

  it("the audit log by subject and by actor; SolusIO calls failed or by status", async () => {
    const audit = (filter: object) => () => listAuditLog({ ctx, input: { ...page, ...filter } });
    await expectIndexed("audit_log", audit({ entity: "customer", entity_id: "1234" }));
    expect(await expectIndexed("audit_log", audit({ actor: "cli" }))).toContain("audit_log_actor");
    const failed = () => listSolusioCalls({ ctx, input: { ...page, failed: "true" } });
    expect(await expectIndexed("solusio_call", failed)).toContain("solusio_call_failed");
    const answered500 = () => listSolusioCalls({ ctx, input: { ...page, status: 500 } });
    expect(await expectIndexed("solusio_call", answered500)).toContain("solusio_call_status");
  });

  it("the audit log and SolusIO calls walked by cursor: a range of the primary key or the filter's index", async () => {
    // Deep in the log (page 1,000 of 2,000): each next page starts below the cursor's id, not after every row.
    const deepAudit = (await listAuditLog({ ctx, input: { page: 1000, per_page: 50 } })).meta.next_cursor!;
    const audit = (filter: object, cursor: string) => () =>
      listAuditLog({ ctx, input: { ...page, ...filter, cursor } });
    expect(await expectKeyset("audit_log", audit({}, deepAudit))).toEqual(["audit_log_pkey"]);
    // A rare actor's (the CLI's 100 entries) next page is a range of (actor, id); a common one's may be the
    // primary key's range, filtered, which the planner prefers and expectKeyset still holds to an Index Cond.
    const byCli = (await listAuditLog({ ctx, input: { ...page, actor: "cli" } })).meta.next_cursor!;
    expect(await expectKeyset("audit_log", audit({ actor: "cli" }, byCli))).toContain("audit_log_actor");
    const byKey = (await listAuditLog({ ctx, input: { page: 900, per_page: 50, actor: "apikey:key_1" } }))
      .meta.next_cursor!;
    await expectKeyset("audit_log", audit({ actor: "apikey:key_1" }, byKey));
    const deepCalls = (await listSolusioCalls({ ctx, input: { page: 1000, per_page: 50 } })).meta
      .next_cursor!;
    const calls = (filter: object, cursor: string) => () =>
      listSolusioCalls({ ctx, input: { ...page, ...filter, cursor } });
    expect(await expectKeyset("solusio_call", calls({}, deepCalls))).toEqual(["solusio_call_pkey"]);
    const failed = (await listSolusioCalls({ ctx, input: { page: 10, per_page: 50, failed: "true" } })).meta
      .next_cursor!;
    expect(await expectKeyset("solusio_call", calls({ failed: "true" }, failed))).toContain(
      "solusio_call_failed",
    );
  });

  it("the doctor's payment provider events line: the failing events from their own index (migration 051)", async () => {
    const check = () => providerEventsCheck(ctx.db);
    expect(await expectIndexed("provider_event", check)).toEqual(["provider_event_failing"]);
    expect((await providerEventsCheck(ctx.db)).detail).toMatch(
      /^3 payment provider event\(s\) are stored failing/,
    );
  });

  it("the failing payment provider events list, by page and by cursor: the same index (migration 051)", async () => {
    const first = () => listFailingProviderEvents({ ctx, input: page });
    expect(await expectIndexed("provider_event", first)).toEqual(["provider_event_failing"]);
    const cursor = (await listFailingProviderEvents({ ctx, input: { page: 1, per_page: 1 } })).meta
      .next_cursor!;
    expect(cursor).toEqual(expect.any(String));
    const next = () => listFailingProviderEvents({ ctx, input: { ...page, cursor } });
    expect(await expectKeyset("provider_event", next)).toEqual(["provider_event_failing"]);
    expect((await listFailingProviderEvents({ ctx, input: { ...page, cursor } })).data).toHaveLength(2);
  });

  it("jobs: claiming due ones, and trimming done ones", async () => {
    const claim = () => claimJobs(ctx.db, { workerId: "explain", lockSeconds: 60 }, ["no.such_kind"], 10);
    await expectIndexed("job", claim);
    // Housekeeping sends raw SQL through the same plugin; its job batch uses the done-jobs index.
    const trim = () => trimOldRows({ ...ctx, config: parseConfig({ RETENTION_JOBS_DAYS: 30 }) });
    expect(await expectIndexed("job", trim)).toContain("job_done_updated");
  });

  it("jobs: the failed-jobs list, and the metrics scrape of open and failed jobs", async () => {
    const failed = () => listFailedJobs({ ctx, input: page });
    expect(await expectIndexed("job", failed)).toContain("job_failed");
    const scrape = () => readJobQueue(ctx.db);
    expect((await expectIndexed("job", scrape)).sort()).toEqual(["job_failed", "job_open"]);
  });

  it("failed jobs walked by cursor: deep in the list, a range of job_failed", async () => {
    const deep = (await listFailedJobs({ ctx, input: { page: 80, per_page: 50 } })).meta.next_cursor!;
    expect(deep).toEqual(expect.any(String));
    const next = () => listFailedJobs({ ctx, input: { ...page, cursor: deep } });
    expect(await expectKeyset("job", next)).toEqual(["job_failed"]);
  });

  it("the portal's payments: a customer's, by month and method, first page and by cursor", async () => {
    // Customer 4311 pays by hand (id % 100 = 11); its payments are received on the 10th of Feb–Jul.
    const portal = { ...ctx, actor: actors.customer(4311n) };
    const list = (input: object) => () => listPortalPayments({ ctx: portal, input: { ...page, ...input } });
    const month = { month: "2026-04", method: "manual" as const };
    expect((await list(month)()).data).toHaveLength(1);
    // One customer's few payments from payment_customer, not the month's or the method's payments of everyone.
    expect(await expectIndexed("payment", list(month), pageOnly)).toEqual(["payment_customer"]);
    const cursor = (
      await listPortalPayments({ ctx: portal, input: { page: 1, per_page: 2, method: "manual" } })
    ).meta.next_cursor!;
    expect(cursor).toEqual(expect.any(String));
    expect(await expectKeyset("payment", list({ method: "manual", cursor }))).toEqual(["payment_customer"]);
  });

  it("credit notes walked by cursor: deep in the list, a range of the number index", async () => {
    const deep = (await listCreditNotes({ ctx, input: { page: 100, per_page: 50 } })).meta.next_cursor!;
    expect(deep).toEqual(expect.any(String));
    const next = () => listCreditNotes({ ctx, input: { ...page, cursor: deep } });
    // The cursor's note found by its id, then the page a range of the list's order (number_sequence, number_value).
    expect((await expectKeyset("credit_note", next)).sort()).toEqual([
      "credit_note_number_value_unique",
      "credit_note_pkey",
    ]);
    // Each note's settled sums find its ledger lines by their event (cn:<id>), not by a scan of the ledger
    // per note: until 2026-12-07 a page of 50 read all 480,000 entries 50 times (2 s quiet, the guard 8–20 s).
    const sums = (text: string) => text.includes("ledger_entry");
    expect(await expectIndexed("ledger_entry", next, sums)).toContain("ledger_entry_event");
  });
});
