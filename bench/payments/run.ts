import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { pino } from "pino";
import { recordPayment } from "../../src/billing/payments/record-payment.ts";
import { parseConfig } from "../../src/config.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import type { Database } from "../../src/db/schema.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { actors } from "../../src/kernel/actor.ts";
import { runDunningHalf } from "./dunning-half.ts";
import { INVOICE_TOTAL, seedOpenInvoices } from "./seed-invoices.ts";

// Money in on PostgreSQL (issue 11). Payments: N payments recorded one after another through the service
// layer (recordPayment: its transaction, customer and invoice locks, ledger event, invoice status, audit
// row, payment.received / invoice.paid / dunning.evaluate jobs), two per invoice ($4.00, then the $6.00
// that pays it). Baseline, in the same run: N bare single-row INSERTs, autocommitted, in one connection.
// Half the payments go one at a time, half from --concurrency clients at once (default 8): both rates are
// printed with their ratios, then the overall `ratio: X` = payment rate ÷ INSERT rate (target ≥ 0.25).
// Then the dunning half (dunning-half.ts).
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

async function timePayments(schema: string): Promise<{ sequentialMs: number; concurrentMs: number }> {
  const handle = await openDatabase({ url, schema, poolSize: CONCURRENCY });
  try {
    await migrateToLatest(handle.db);
    const invoices = await seedOpenInvoices(handle.db, PAYMENTS / 2);
    await sql`ANALYZE`.execute(handle.db);
    const ctx = {
      db: handle.db,
      config: parseConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" }),
      logger: pino({ level: "silent" }),
      actor: actors.system("bench"),
      now: () => new Date("2026-11-10T09:00:00Z"),
    };
    process.stdout.write(`recording ${PAYMENTS.toLocaleString("en-US")} payments in ${schema}…\n`);
    const pay = (invoiceId: string, part: "a" | "b", amount: bigint) =>
      recordPayment({
        ctx,
        input: { invoice_id: invoiceId, amount, method: "bank_transfer", reference: `${invoiceId}-${part}` },
      });
    // The first halves one at a time, as one client on one connection does (the baseline's shape)…
    let started = performance.now();
    for (const invoiceId of invoices) await pay(invoiceId, "a", FIRST_PART);
    const sequentialMs = performance.now() - started;
    // …the second halves from CONCURRENCY clients at once, as a server under load does; each invoice is
    // paid by one client, so they do not wait on one another's locks.
    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < invoices.length) await pay(invoices[next++]!, "b", INVOICE_TOTAL - FIRST_PART);
      }),
    );
    const concurrentMs = performance.now() - started;
    await checkOutcome(handle.db, invoices.length);
    return { sequentialMs, concurrentMs };
  } finally {
    await handle.close();
  }
}

/** The run did what it claims: every payment and its ledger event written, every invoice paid. */
async function checkOutcome(db: Kysely<Database>, invoices: number) {
  const row = (
    await sql<{ payments: string; paid: string; cash: string; events: string }>`
      SELECT (SELECT count(*) FROM payment) AS payments,
             (SELECT count(*) FROM invoice WHERE status = 'paid') AS paid,
             (SELECT coalesce(sum(amount), 0) FROM ledger_entry WHERE account = 'cash') AS cash,
             (SELECT count(*) FROM job WHERE kind = 'invoice.event') AS events`.execute(db)
  ).rows[0]!;
  process.stdout.write(
    `payments: ${row.payments}, invoices paid: ${row.paid}, cash: ${row.cash} minor units, invoice.event jobs: ${row.events}\n`,
  );
  if (Number(row.payments) !== PAYMENTS || Number(row.paid) !== invoices) {
    throw new Error("the payments benchmark did not record what it should have");
  }
}

async function timeBareInserts(schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE ${schema}.insert_baseline (id bigint PRIMARY KEY, amount bigint, reference text)`,
    );
    const started = performance.now();
    for (let i = 0; i < PAYMENTS; i++) {
      await client.query(
        `INSERT INTO ${schema}.insert_baseline (id, amount, reference) VALUES ($1, $2, $3)`,
        [i, 500, `ref-${i}`],
      );
    }
    return performance.now() - started;
  } finally {
    await client.end();
  }
}

const schema = `bench_payments_${randomBytes(4).toString("hex")}`;
const admin = await openDatabase({ url, poolSize: 1 });
await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
try {
  const { sequentialMs, concurrentMs } = await timePayments(schema);
  const insertsMs = await timeBareInserts(schema);
  const half = PAYMENTS / 2;
  const rate = (n: number, ms: number) => n / (ms / 1000);
  const insertRate = rate(PAYMENTS, insertsMs);
  const sequentialRate = rate(half, sequentialMs);
  const concurrentRate = rate(half, concurrentMs);
  const allRate = rate(PAYMENTS, sequentialMs + concurrentMs);
  const perSecond = (r: number) => `${Math.round(r).toLocaleString("en-US")}/s`;
  process.stdout.write(
    [
      `payments one at a time: ${half.toLocaleString("en-US")} in ${(sequentialMs / 1000).toFixed(2)} s, ${perSecond(sequentialRate)} (ratio ${(sequentialRate / insertRate).toFixed(2)})`,
      `payments ${CONCURRENCY} at a time: ${half.toLocaleString("en-US")} in ${(concurrentMs / 1000).toFixed(2)} s, ${perSecond(concurrentRate)} (ratio ${(concurrentRate / insertRate).toFixed(2)})`,
      `payments through recordPayment: ${PAYMENTS.toLocaleString("en-US")} in ${((sequentialMs + concurrentMs) / 1000).toFixed(2)} s, ${perSecond(allRate)}`,
      `bare single-row INSERTs in one connection: ${PAYMENTS.toLocaleString("en-US")} in ${(insertsMs / 1000).toFixed(2)} s, ${perSecond(insertRate)}`,
      `ratio: ${(allRate / insertRate).toFixed(2)} (target ≥ 0.25)`,
    ].join("\n") + "\n",
  );
} finally {
  await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
  await admin.close();
}
await runDunningHalf(url, flag("dunning-customers", 100_000), flag("overdue", 10_000));
