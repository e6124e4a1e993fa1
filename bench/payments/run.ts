import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { pino } from "pino";
import { recordPayment } from "../../src/billing/payments/record-payment.ts";
import { parseConfig } from "../../src/config.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { namedStatements } from "../named-statements.ts";
import type { Database } from "../../src/db/schema.ts";
import { actors } from "../../src/kernel/actor.ts";
import { runDunningHalf } from "./dunning-half.ts";
import { INVOICE_TOTAL, seedOpenInvoices } from "./seed-invoices.ts";

// Money in on PostgreSQL (issue 11). Payments: N payments through the service layer (recordPayment: one
// autocommitted statement taking the customer and invoice locks and writing the payment, its ledger event,
// the invoice status, the audit row and the payment.received / invoice.paid / dunning.evaluate jobs; see
// docs/payments.md "Performance"), two per invoice ($4.00, then the $6.00 that pays it). Baseline,
// in the same run: N bare single-row INSERTs, autocommitted, in one connection.
// The first payment of every invoice is recorded one at a time (one client, like the baseline), the second
// from --concurrency clients at once (default 8, a server under load). Payments and INSERTs alternate in
// blocks of 1,000, so a machine busy with something else slows both alike and the ratio stays fair.
// Prints each rate and ratio, then `ratio: X` = all payments' rate ÷ INSERT rate (target ≥ 0.25), then the
// dunning half (dunning-half.ts).
// Usage: bench/payments/run.ts [--payments 100000] [--concurrency 8] [--dunning-customers 100000 --overdue 10000]

const url = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : String(fallback);
  const n = Number((raw ?? "").replace(/_/g, ""));
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`--${name} takes a positive whole number (got ${raw})`);
  return n;
}

const PAYMENTS = flag("payments", 100_000);
if (PAYMENTS % 2 !== 0) throw new Error("--payments must be even: each invoice is paid in two parts");
const FIRST_PART = 400n;
const CONCURRENCY = flag("concurrency", 8);
const BLOCK = 1000;

interface Timings {
  sequentialMs: number;
  concurrentMs: number;
  insertsMs: number;
}

async function timePaymentsAndInserts(schema: string): Promise<Timings> {
  const handle = await openDatabase({
    url,
    schema,
    poolSize: CONCURRENCY,
    namedStatements: namedStatements(),
  });
  const bare = new pg.Client({ connectionString: url });
  await bare.connect();
  try {
    await migrateToLatest(handle.db);
    const invoices = await seedOpenInvoices(handle.db, PAYMENTS / 2);
    await bare.query(
      `CREATE TABLE ${schema}.insert_baseline (id bigint PRIMARY KEY, amount bigint, reference text)`,
    );
    await sql`ANALYZE`.execute(handle.db);
    const ctx = {
      db: handle.db,
      config: parseConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" }),
      logger: pino({ level: "silent" }),
      actor: actors.system("bench"),
      now: () => new Date("2026-11-10T09:00:00Z"),
    };
    const pay = (invoiceId: string, part: "a" | "b", amount: bigint) =>
      recordPayment({
        ctx,
        input: { invoice_id: invoiceId, amount, method: "bank_transfer", reference: `${invoiceId}-${part}` },
      });
    let inserted = 0;
    const insertBlock = async (count: number): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < count; i++, inserted++) {
        await bare.query(
          `INSERT INTO ${schema}.insert_baseline (id, amount, reference) VALUES ($1, $2, $3)`,
          [inserted, 500, `ref-${inserted}`],
        );
      }
      return performance.now() - started;
    };
    const timed = async (work: () => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };

    // A production PostgreSQL analyzes a table once a tenth of it has changed (autovacuum); one run with
    // autovacuum off keeps the statistics of the empty payment and ledger tables, and with them plans (the
    // foreign-key checks' among them) that scan those tables on every payment. The bench then analyzes the
    // tables it writes after every block, untimed, as autovacuum would.
    const autovacuum = (await sql<{ autovacuum: string }>`SHOW autovacuum`.execute(handle.db)).rows[0]!
      .autovacuum;
    const standInForAutovacuum = async () => {
      if (autovacuum !== "on")
        await sql`ANALYZE payment, ledger_entry, invoice, job, audit_log`.execute(handle.db);
    };
    if (autovacuum !== "on") {
      process.stdout.write(
        "this PostgreSQL runs with autovacuum off: the bench analyzes after every block, untimed\n",
      );
    }
    process.stdout.write(`recording ${PAYMENTS.toLocaleString("en-US")} payments in ${schema}…\n`);
    const t: Timings = { sequentialMs: 0, concurrentMs: 0, insertsMs: 0 };
    for (let from = 0; from < invoices.length; from += BLOCK) {
      const block = invoices.slice(from, from + BLOCK);
      t.sequentialMs += await timed(async () => {
        for (const invoiceId of block) await pay(invoiceId, "a", FIRST_PART);
      });
      t.insertsMs += await insertBlock(block.length);
      await standInForAutovacuum();
    }
    for (let from = 0; from < invoices.length; from += BLOCK) {
      const block = invoices.slice(from, from + BLOCK);
      let next = 0;
      // Each invoice is paid by one client, so the clients do not wait on one another's locks.
      t.concurrentMs += await timed(() =>
        Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < block.length) await pay(block[next++]!, "b", INVOICE_TOTAL - FIRST_PART);
          }),
        ),
      );
      t.insertsMs += await insertBlock(block.length);
      await standInForAutovacuum();
    }
    await checkOutcome(handle.db, invoices.length);
    return t;
  } finally {
    await bare.end();
    await handle.close();
  }
}

/**
 * The run did what it claims: every payment with its ledger event (cash +, receivable −), every invoice
 * paid and owing nothing, and per payment its audit row, payment.received and dunning.evaluate jobs, plus
 * one invoice.paid per invoice.
 */
async function checkOutcome(db: Kysely<Database>, invoices: number) {
  const row = (
    await sql<
      Record<"payments" | "paid" | "cash" | "due" | "entries" | "events" | "dunning" | "audit", string>
    >`
      SELECT (SELECT count(*) FROM payment) AS payments,
             (SELECT count(*) FROM invoice WHERE status = 'paid') AS paid,
             (SELECT coalesce(sum(amount), 0) FROM ledger_entry WHERE account = 'cash') AS cash,
             (SELECT coalesce(sum(amount), 0) FROM ledger_entry WHERE account = 'receivable') AS due,
             (SELECT count(*) FROM ledger_entry WHERE event_kind = 'payment') AS entries,
             (SELECT count(*) FROM job WHERE kind = 'invoice.event') AS events,
             (SELECT count(*) FROM job WHERE kind = 'dunning.evaluate') AS dunning,
             (SELECT count(*) FROM audit_log WHERE action = 'payment.record') AS audit`.execute(db)
  ).rows[0]!;
  process.stdout.write(
    `payments: ${row.payments}, invoices paid: ${row.paid}, cash: ${row.cash} minor units, receivable left: ${row.due}, ` +
      `payment ledger entries: ${row.entries}, invoice.event jobs: ${row.events}, dunning.evaluate jobs: ${row.dunning}, ` +
      `payment.record audit rows: ${row.audit}\n`,
  );
  const expected: Record<keyof typeof row, number> = {
    payments: PAYMENTS,
    paid: invoices,
    cash: Number(INVOICE_TOTAL) * invoices,
    due: 0,
    entries: 2 * PAYMENTS,
    events: PAYMENTS + invoices,
    dunning: PAYMENTS,
    audit: PAYMENTS,
  };
  const wrong = Object.entries(expected).filter(([k, v]) => Number(row[k as keyof typeof row]) !== v);
  if (wrong.length > 0) {
    throw new Error(
      `the payments benchmark did not record what it should have: ${wrong.map(([k, v]) => `${k} ≠ ${v}`).join(", ")}`,
    );
  }
}

const schema = `bench_payments_${randomBytes(4).toString("hex")}`;
const admin = await openDatabase({ url, poolSize: 1 });
await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
try {
  const { sequentialMs, concurrentMs, insertsMs } = await timePaymentsAndInserts(schema);
  const half = PAYMENTS / 2;
  const rate = (n: number, ms: number) => n / (ms / 1000);
  const insertRate = rate(PAYMENTS, insertsMs);
  const sequentialRate = rate(half, sequentialMs);
  const concurrentRate = rate(half, concurrentMs);
  const allRate = rate(PAYMENTS, sequentialMs + concurrentMs);
  const perSecond = (r: number) => `${Math.round(r).toLocaleString("en-US")}/s`;
  const count = (n: number) => n.toLocaleString("en-US");
  process.stdout.write(
    [
      `payments one at a time: ${count(half)} in ${(sequentialMs / 1000).toFixed(2)} s, ${perSecond(sequentialRate)} (ratio ${(sequentialRate / insertRate).toFixed(2)})`,
      `payments ${CONCURRENCY} at a time: ${count(half)} in ${(concurrentMs / 1000).toFixed(2)} s, ${perSecond(concurrentRate)} (ratio ${(concurrentRate / insertRate).toFixed(2)})`,
      `payments through recordPayment: ${count(PAYMENTS)} in ${((sequentialMs + concurrentMs) / 1000).toFixed(2)} s, ${perSecond(allRate)}`,
      `bare single-row INSERTs in one connection: ${count(PAYMENTS)} in ${(insertsMs / 1000).toFixed(2)} s, ${perSecond(insertRate)}`,
      `ratio: ${(allRate / insertRate).toFixed(2)} (target ≥ 0.25)`,
    ].join("\n") + "\n",
  );
} finally {
  await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
  await admin.close();
}
await runDunningHalf(url, flag("dunning-customers", 100_000), flag("overdue", 10_000));
