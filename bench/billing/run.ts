import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { pino } from "pino";
import { runBilling } from "../../src/billing/runs/run-billing.ts";
import { SolusioUsageSource } from "../../src/billing/usage/solusio-usage-source.ts";
import { parseConfig } from "../../src/config.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { seedCustomers } from "../pricing/seed-customers.ts";
import { timeCopy } from "./copy-baseline.ts";
import { syntheticUsage } from "./synthetic-usage.ts";
import { actors } from "../../src/kernel/actor.ts";

// The billing cycle end to end on PostgreSQL: N customers with 3 servers each, usage read
// page by page in the §9 (a) shape, validated, grouped, invoiced, finalized. Then, in the same run, a bare
// COPY of as many invoice lines. Prints wall time, invoices/s, peak RSS, per-customer cost, and last
// `ratio: X` = run time ÷ COPY time. Usage: bench/billing/run.ts [--customers 10000[,100000]].

const url = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";

function customerCounts(): number[] {
  const i = process.argv.indexOf("--customers");
  const raw = i >= 0 ? process.argv[i + 1] : "10000";
  const counts = (raw ?? "").split(",").map((s) => Number(s.replace(/_/g, "")));
  if (counts.length === 0 || counts.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new Error(`--customers takes positive whole numbers, e.g. 10000 or 10000,100000 (got ${raw})`);
  }
  return counts;
}

async function benchOnce(customers: number) {
  const schema = `bench_billing_${randomBytes(4).toString("hex")}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  const handle = await openDatabase({ url, schema, poolSize: 4 });
  try {
    await migrateToLatest(handle.db);
    process.stdout.write(`seeding ${customers.toLocaleString("en-US")} customers in ${schema}…\n`);
    await seedCustomers(handle.db, customers);
    await sql`ANALYZE`.execute(handle.db);

    // BILLING_BATCH_SIZE from the environment, to try other batch sizes; the default is the program's.
    const batch = process.env["BILLING_BATCH_SIZE"];
    const config = parseConfig({
      DATABASE_URL: url,
      LOG_LEVEL: "silent",
      ...(batch ? { BILLING_BATCH_SIZE: batch } : {}),
    });
    const ctx = {
      db: handle.db,
      config,
      logger: pino({ level: "silent" }),
      actor: actors.system("bench"),
      now: () => new Date("2026-11-01T01:00:00Z"),
    };
    const source = new SolusioUsageSource(syntheticUsage(customers));
    const started = performance.now();
    let phase = "";
    const onProgress = (p: { phase: string }) => {
      if (p.phase === phase) return;
      phase = p.phase;
      // With --trace: when each phase starts and the heap then, to see where a run spends time and memory.
      if (process.argv.includes("--trace")) {
        const heap = `${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)}`;
        process.stdout.write(
          `  ${((performance.now() - started) / 1000).toFixed(2)} s: ${phase} (heap ${heap} MB)\n`,
        );
      }
    };
    const summary = await runBilling({ ctx, input: { period: "2026-10" }, options: { source, onProgress } });
    const runMs = performance.now() - started;

    const lines = Number(
      (
        await handle.db
          .selectFrom("invoice_line")
          .select((eb) => eb.fn.countAll<bigint>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const copyMs = await timeCopy(url, schema, lines);
    const invoices = summary.invoices.finalized;
    process.stdout.write(
      [
        `customers: ${customers.toLocaleString("en-US")}, servers: ${(customers * 3).toLocaleString("en-US")}, usage records: ${summary.usage_records.toLocaleString("en-US")}`,
        `invoices: ${invoices.toLocaleString("en-US")} finalized, lines: ${lines.toLocaleString("en-US")}, anomalies: ${summary.anomalies.total}`,
        `totals: ${summary.totals.map((t) => `${t.currency} ${t.total} minor units over ${t.invoices}`).join("; ")}`,
        `wall time: ${(runMs / 1000).toFixed(2)} s`,
        `invoices/s: ${Math.round(invoices / (runMs / 1000)).toLocaleString("en-US")}`,
        `per-customer cost: ${((runMs * 1000) / customers).toFixed(1)} µs`,
        `COPY of ${lines.toLocaleString("en-US")} lines: ${(copyMs / 1000).toFixed(2)} s`,
        `peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
      ].join("\n") + "\n",
    );
    return { runMs, copyMs };
  } finally {
    await handle.close();
    await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
    await admin.close();
  }
}

const results = [];
for (const n of customerCounts()) results.push(await benchOnce(n));
const last = results.at(-1)!;
process.stdout.write(`ratio: ${(last.runMs / last.copyMs).toFixed(2)}\n`);
