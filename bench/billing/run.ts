import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { pino } from "pino";
import type { BillingSummary } from "../../src/billing/runs/billing-run-schemas.ts";
import { runBilling } from "../../src/billing/runs/run-billing.ts";
import { SolusioUsageSource } from "../../src/billing/usage/solusio-usage-source.ts";
import { parseConfig } from "../../src/config.ts";
import { periodBounds } from "../../src/domain/periods.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import { namedStatements } from "../named-statements.ts";
import { actors } from "../../src/kernel/actor.ts";
import { seedCustomers } from "../pricing/seed-customers.ts";
import { timeCopy } from "./copy-baseline.ts";
import { fixedPart } from "./fixed-part.ts";
import { databaseIsLocal, type PostgresCpu, PostgresCpuMeter } from "./database-cpu.ts";
import { profileStatements, statementReport } from "./statement-profile.ts";
import { recordedUsage, recordUsage } from "./recorded-usage.ts";

// The billing cycle end to end on PostgreSQL: N customers with 3 servers each, usage recorded to a file in the
// §9 (a) shape before the clock starts, then read page by page, validated, staged, invoiced in batches,
// finalized. Then, in the same run, a bare COPY of as many invoice lines. Each size runs in its own process, so
// its peak RSS is its own, after an untimed warm-up of WARM_UP_CUSTOMERS in that process (benchOnce).
// The smaller sizes are measured before the largest and again after it (measuringOrder). Prints wall time,
// invoices/s, peak RSS and per-customer cost per measurement, the CPU Node and PostgreSQL used
// during the run (PostgreSQL's when it runs on this machine: database-cpu.ts), the two smallest sizes split into a
// fixed part of a run and a cost a customer (fixed-part.ts), and last `ratio: X` = run ÷ COPY at the largest size.
// Usage: bench/billing/run.ts [--customers 1000000 | --customers 10000,50000] [--once] [--trace] [--statements]
// BENCH_CHILD_FLAGS passes Node flags to each size's process (e.g. "--cpu-prof --cpu-prof-dir=prof").
// (one number: 10,000, 100,000 and 1,000,000 up to it, and the number itself).

const url = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";
const STEPS = [10_000, 100_000, 1_000_000];
const PERIOD = "2026-10";
// BENCH_WARM_UP=0 leaves the warm-up out (to see the cold figure). 10,000: after 2,000 the functions called
// once a batch were not yet optimized, and a 10,000 size still paid for it (docs/performance.md, Billing, "What is measured").
const WARM_UP_CUSTOMERS = Number(process.env["BENCH_WARM_UP"] ?? 10_000);

interface SizeResult {
  customers: number;
  runMs: number;
  copyMs: number;
  lines: number;
  invoices: number;
  peakRssMb: number;
  /** CPU during the run: this process's, and PostgreSQL's processes' when the database is on this machine. */
  nodeCpuMs: number;
  databaseCpu: PostgresCpu | undefined;
}

function sizes(): number[] {
  const i = process.argv.indexOf("--customers");
  const raw = i >= 0 ? process.argv[i + 1] : "100000";
  const counts = (raw ?? "").split(",").map((s) => Number(s.replace(/_/g, "")));
  if (counts.length === 0 || counts.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new Error(`--customers takes positive whole numbers, e.g. 1000000 or 10000,100000 (got ${raw})`);
  }
  if (counts.length > 1) return counts;
  const max = counts[0]!;
  return [...STEPS.filter((n) => n < max), max];
}

/** A schema of its own, migrated, for `fn`; dropped afterwards with the month's recorded usage. */
async function inFreshSchema<T>(
  fn: (db: DatabaseHandle["db"], schema: string, usageDir: string) => Promise<T>,
): Promise<T> {
  const schema = `bench_billing_${randomBytes(4).toString("hex")}`;
  const usageDir = mkdtempSync(join(tmpdir(), "bench-usage-"));
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  const handle = await openDatabase({ url, schema, poolSize: 4, namedStatements: namedStatements() });
  try {
    await migrateToLatest(handle.db);
    return await fn(handle.db, schema, usageDir);
  } finally {
    rmSync(usageDir, { recursive: true, force: true });
    await handle.close();
    await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
    await admin.close();
  }
}

/** Seeds `customers`, records their month, and bills it; only the billing run is timed. */
async function billOnce(
  db: DatabaseHandle["db"],
  usageDir: string,
  customers: number,
  say: (line: string) => void,
  options: { trace?: boolean; statements?: boolean } = {},
): Promise<{
  runMs: number;
  summary: BillingSummary;
  nodeCpuMs: number;
  databaseCpu: PostgresCpu | undefined;
}> {
  say(`seeding ${customers.toLocaleString("en-US")} customers…`);
  await seedCustomers(db, customers);
  await sql`ANALYZE`.execute(db);

  // BILLING_BATCH_SIZE from the environment, to try other batch sizes; the default is the program's.
  const batch = process.env["BILLING_BATCH_SIZE"];
  const config = parseConfig({
    DATABASE_URL: url,
    LOG_LEVEL: "silent",
    ...(batch ? { BILLING_BATCH_SIZE: batch } : {}),
  });
  const ctx = {
    db,
    config,
    logger: pino({ level: "silent" }),
    actor: actors.system("bench"),
    now: () => new Date("2026-11-01T01:00:00Z"),
  };
  const usageFile = join(usageDir, "usage.ndjson");
  const recordingStarted = performance.now();
  const recorded = await recordUsage(customers, periodBounds(PERIOD, config.BILLING_TIME_ZONE), usageFile);
  say(
    `recorded ${recorded.pages.toLocaleString("en-US")} pages of usage (${Math.round(statSync(usageFile).size / 1e6)} MB) in ${((performance.now() - recordingStarted) / 1000).toFixed(1)} s, not timed…`,
  );
  const source = new SolusioUsageSource(recordedUsage(usageFile));
  // With --statements: what the run sent the database, by statement, counted and timed.
  if (options.statements) profileStatements();
  const databaseMeter = databaseIsLocal(url) ? PostgresCpuMeter.start() : undefined;
  const databaseSoFar = () => {
    const used = databaseMeter?.read();
    return used ? `, PostgreSQL's connections' CPU ${(used.backends / 1000).toFixed(2)} s` : "";
  };
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let phase = "";
  const onProgress = (p: { phase: string }) => {
    if (p.phase === phase) return;
    phase = p.phase;
    // With --trace: when each phase starts and the heap then, to see where a run spends time and memory.
    if (options.trace) {
      const cpu = process.cpuUsage(cpuAtStart);
      const heap = `${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, node CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s${databaseSoFar()}`;
      say(`  ${((performance.now() - started) / 1000).toFixed(2)} s: ${phase} (heap ${heap})`);
    }
  };
  const summary = await runBilling({ ctx, input: { period: PERIOD }, options: { source, onProgress } });
  const runMs = performance.now() - started;
  const nodeCpu = process.cpuUsage(cpuAtStart);
  const databaseCpu = databaseMeter?.stop();
  if (options.statements) say(statementReport(customers));
  // A synthetic month that ended early would make any figure meaningless.
  if (summary.customers !== customers) {
    throw new Error(`${summary.customers} of ${customers} customers had usage: the synthetic month is short`);
  }
  return { runMs, summary, nodeCpuMs: (nodeCpu.user + nodeCpu.system) / 1000, databaseCpu };
}

/**
 * One size, in this (child) process: an untimed warm-up, then seed, run, COPY, report. The warm-up bills
 * WARM_UP_CUSTOMERS in a schema of their own first, so that V8 has compiled the run's code before the clock
 * starts: without it the first batches of every size ran unoptimized, a fixed cost that weighed most on
 * the smallest size (drafting 144 against 108 µs a customer at 10,000 and 1,000,000, 2026-12-01).
 */
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function benchOnce(customers: number): Promise<SizeResult> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (WARM_UP_CUSTOMERS > 0) {
    const warmUp = await inFreshSchema((db, _schema, usageDir) =>
      billOnce(db, usageDir, WARM_UP_CUSTOMERS, () => {}),
    );
    say(
      `warm-up: ${WARM_UP_CUSTOMERS.toLocaleString("en-US")} customers billed in ${(warmUp.runMs / 1000).toFixed(2)} s (not counted)`,
    );
  }
  return inFreshSchema(async (db, schema, usageDir) => {
    say(`measuring in ${schema}:`);
    const { runMs, summary, nodeCpuMs, databaseCpu } = await billOnce(db, usageDir, customers, say, {
      trace: process.argv.includes("--trace"),
      statements: process.argv.includes("--statements"),
    });
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const lines = Number(
      (
        await db
          .selectFrom("invoice_line")
          .select((eb) => eb.fn.countAll<bigint>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const copyMs = await timeCopy(url, schema, lines);
    const invoices = summary.invoices.finalized;
    say(
      [
        `customers: ${customers.toLocaleString("en-US")}, servers: ${(customers * 3).toLocaleString("en-US")}, usage records: ${summary.usage_records.toLocaleString("en-US")}`,
        `invoices: ${invoices.toLocaleString("en-US")} finalized, lines: ${lines.toLocaleString("en-US")}, anomalies: ${summary.anomalies.total} ${JSON.stringify(summary.anomalies.by_kind)}`,
        `totals: ${summary.totals.map((t) => `${t.currency} ${t.total} minor units over ${t.invoices}`).join("; ")}`,
        `wall time: ${(runMs / 1000).toFixed(2)} s`,
        `invoices/s: ${Math.round(invoices / (runMs / 1000)).toLocaleString("en-US")}`,
        `per-customer cost: ${((runMs * 1000) / customers).toFixed(1)} µs`,
        `peak RSS: ${peakRssMb} MB`,
        `COPY of ${lines.toLocaleString("en-US")} lines: ${(copyMs / 1000).toFixed(2)} s (run ÷ COPY ${(runMs / copyMs).toFixed(2)})`,
        `CPU during the run: Node ${seconds(nodeCpuMs)}, PostgreSQL ${databaseCpu === undefined ? "not measured (not on this machine)" : `${seconds(databaseCpu.backends + databaseCpu.background)} (its connections ${seconds(databaseCpu.backends)}, checkpointer and writers ${seconds(databaseCpu.background)}; its connections' CPU ÷ COPY ${(databaseCpu.backends / copyMs).toFixed(2)})`}`,
      ].join("\n"),
    );
    return { customers, runMs, copyMs, lines, invoices, peakRssMb, nodeCpuMs, databaseCpu };
  });
}

/** Runs one size in a child process and returns what it measured. */
function inChild(customers: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const flags = ["--trace", "--statements"].filter((f) => process.argv.includes(f));
    const args = ["--size", String(customers), ...flags];
    const child = fork(import.meta.filename, args, {
      execArgv: ["--import", "tsx", ...(process.env["BENCH_CHILD_FLAGS"] ?? "").split(" ").filter(Boolean)],
    });
    let result: SizeResult | undefined;
    child.on("message", (m) => (result = m as SizeResult));
    child.on("error", reject);
    child.on("exit", (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`the ${customers} run exited with ${code}`)),
    );
  });
}

/**
 * The order sizes are measured in: the smaller ones before the largest and again after it, in mirror order
 * (10,000, 100,000, 1,000,000, 100,000, 10,000), so that the machine's drift over a run, which moves every
 * figure by tens of per cent from one hour to the next (docs/performance.md, "The per-customer spread"),
 * weighs on each smaller size from both sides of the largest rather than on one. `--once` measures each once.
 */
function measuringOrder(counts: number[]): number[] {
  if (process.argv.includes("--once") || counts.length < 2) return counts;
  const smaller = counts.slice(0, -1);
  return [...smaller, counts.at(-1)!, ...smaller.slice().reverse()];
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const cost = (r: SizeResult) => (r.runMs * 1000) / r.customers;
const spreadOf = (costs: number[]) => `${((Math.max(...costs) / Math.min(...costs) - 1) * 100).toFixed(1)} %`;

function printTable(results: SizeResult[]): void {
  process.stdout.write(
    "\ncustomers | wall time | invoices/s | per customer | peak RSS | COPY | run ÷ COPY | CPU a customer: Node / PostgreSQL | PostgreSQL connections' CPU ÷ COPY\n",
  );
  const perCustomer = (ms: number | undefined, r: SizeResult) =>
    ms === undefined ? "—" : `${((ms * 1000) / r.customers).toFixed(0)} µs`;
  for (const r of results) {
    const database = r.databaseCpu && r.databaseCpu.backends + r.databaseCpu.background;
    const connectionsShare = r.databaseCpu ? (r.databaseCpu.backends / r.copyMs).toFixed(2) : "—";
    process.stdout.write(
      `${r.customers.toLocaleString("en-US")} | ${(r.runMs / 1000).toFixed(2)} s | ${Math.round(r.invoices / (r.runMs / 1000)).toLocaleString("en-US")} | ${cost(r).toFixed(1)} µs | ${r.peakRssMb} MB | ${(r.copyMs / 1000).toFixed(2)} s | ${(r.runMs / r.copyMs).toFixed(2)} | ${perCustomer(r.nodeCpuMs, r)} / ${perCustomer(database, r)} | ${connectionsShare}\n`,
    );
  }
}

const one = process.argv.indexOf("--size");
if (one >= 0) {
  const result = await benchOnce(Number(process.argv[one + 1]));
  process.send!(result);
} else {
  const counts = sizes();
  const results: SizeResult[] = [];
  for (const n of measuringOrder(counts)) results.push(await inChild(n));
  printTable(results);
  // A size's wall time and per-customer cost: the mean of its measurements (before and after the largest).
  const meanRunMs = counts.map((n) => mean(results.filter((r) => r.customers === n).map((r) => r.runMs)));
  const bySize = counts.map((n, i) => (meanRunMs[i]! * 1000) / n);
  if (results.length > counts.length) {
    process.stdout.write(
      `per customer, each size's measurements averaged: ${counts.map((n, i) => `${n.toLocaleString("en-US")} ${bySize[i]!.toFixed(1)} µs`).join(", ")}\n`,
    );
    process.stdout.write(
      `spread of the single measurements (max ÷ min − 1): ${spreadOf(results.map(cost))}\n`,
    );
  }
  process.stdout.write(`per-customer cost spread (max ÷ min − 1): ${spreadOf(bySize)}\n`);
  const split = fixedPart(counts.map((n, i) => ({ customers: n, runMs: meanRunMs[i]! })));
  if (split) {
    process.stdout.write(
      `the two smallest sizes as a fixed part plus a cost a customer: ${seconds(split.fixedMs)} a run + ${split.marginalUs.toFixed(1)} µs a customer\n`,
    );
  }
  const largest = results.find((r) => r.customers === counts.at(-1))!;
  process.stdout.write(`ratio: ${(largest.runMs / largest.copyMs).toFixed(2)}\n`);
}
