import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { sql } from "kysely";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { readProcessStat } from "../process-cpu.ts";
import { startAdminWrites } from "./admin-writes.ts";
import { seedCustomers } from "./seed-customers.ts";
import { openSlowPathProbe } from "./slow-path-probe.ts";

// GetTokenPricing under load over loopback, against a bare node:http baseline measured in the same run with
// the same tool and settings. Prints req/s and p99 for both and `ratio: X` = tokenbill ÷ baseline req/s.
// A second tokenbill run repeats the load while admin API writes change prices in the background (staff at
// work), because that is when the in-memory index has to refresh and its p99 is at stake. Its baseline is the
// bare server under the same load and the same writes (which it answers at once): the writes are sent from
// this process, beside autocannon, and sending them costs the load generator itself 7–13 % of its rate
// (measured 2026-11-30 against the bare server), which is not tokenbill's to count.
// On a small shared machine the speed changes from second to second, so the measurements are taken in
// BENCH_ROUNDS interleaved rounds, each ratio's two phases back to back in an order that alternates (ABBA),
// and each figure is the median over the rounds: a burst of outside load then spoils one round, not the ratio.

const CUSTOMERS = Number(process.env["BENCH_CUSTOMERS"] ?? 10_000);
const WRITES_PER_S = Number(process.env["BENCH_WRITES_PER_S"] ?? 20);
const ADMIN_KEY = "bench-pricing-admin-key";
const CONNECTIONS = Number(process.env["BENCH_CONNECTIONS"] ?? 10);
const DURATION_S = Number(process.env["BENCH_DURATION"] ?? 4);
// An even number, so that each order of the ABBA rounds runs as often as the other.
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 6);
// Admin writes in the warm-up, sent at WARM_WRITES_PER_S under the load, so that the rounds measure a server
// that has run for a while. V8 goes on compiling the write path long after its first writes: --trace-opt
// counted 122 compilations (515 ms of compiler time) in 1,000 sequential writes after a first 1,000, 37 (129 ms) after
// 4,000 and 36 (113 ms) after 8,000 (2026-12-02). So 4,000: the level a long-running server stays at.
const WARM_WRITES = Number(process.env["BENCH_WARM_WRITES"] ?? 4000);
const WARM_WRITES_PER_S = 100;
const TOKEN = "bench-pricing-token";
// BENCH_CHILD_FLAGS passes Node flags to tokenbill's process (e.g. "--cpu-prof --cpu-prof-dir=prof").
const CHILD_FLAGS = (process.env["BENCH_CHILD_FLAGS"] ?? "").split(" ").filter(Boolean);
const root = join(import.meta.dirname, "..", "..");

function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    // Output is kept only until the ready line: this process is also the load generator, and nothing after
    // that line is needed (tokenbill writes nothing per request at the benchmark's log level, 2026-12-02).
    let out = "";
    let started = false;
    child.stdout!.on("data", (chunk: Buffer) => {
      if (started) return;
      out += chunk.toString();
      const match = ready.exec(out);
      if (!match) return;
      started = true;
      out = "";
      resolve({ child, port: Number(match[1]) });
    });
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}:\n${out}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function load(port: number, randomUser: boolean, durationS = DURATION_S) {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/solusio/api`,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        setupRequest: (req) => ({
          ...req,
          body: `token=${TOKEN}&action=GetTokenPricing&userid=${randomUser ? 1 + Math.floor(Math.random() * CUSTOMERS) : 1}`,
        }),
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    non2xx,
    total: result.requests.total,
    generatorUs: result.requests.total > 0 ? (cpu.user + cpu.system) / result.requests.total : 0,
  };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "tokenbill-bench-"));
  const databaseUrl = process.env["DATABASE_URL"];
  // On PostgreSQL a throw-away schema, which serve is pointed at through the URL's search_path, and dropped.
  const schema = databaseUrl ? `bench_pricing_${randomBytes(4).toString("hex")}` : undefined;
  const serveUrl =
    databaseUrl && schema
      ? `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`
      : undefined;
  process.stdout.write(
    `seeding ${CUSTOMERS} customers on ${databaseUrl ? `PostgreSQL (schema ${schema})` : "PGlite"}…\n`,
  );
  if (databaseUrl) {
    const admin = await openDatabase({ url: databaseUrl, poolSize: 1 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    await admin.close();
  }
  const handle = await openDatabase({ url: databaseUrl, dataDir, ...(schema ? { schema } : {}) });
  await migrateToLatest(handle.db);
  await seedCustomers(handle.db, CUSTOMERS);
  await handle.close();

  // Opened before the rounds: finding the function in the node binary costs a few seconds of CPU.
  const slowPath = openSlowPathProbe();
  const children: ChildProcess[] = [];
  try {
    const tokenbill = await startChild(
      [...CHILD_FLAGS, "bin/tokenbill.mjs", "serve"],
      {
        PORT: "0",
        DATA_DIR: dataDir,
        ...(serveUrl ? { DATABASE_URL: serveUrl } : {}),
        SOLUSIO_PRICING_TOKEN: TOKEN,
        LOG_LEVEL: "info",
        TOKENBILL_SANDBOX: "off",
        TOKENBILL_ADMIN_API_KEY: ADMIN_KEY,
        // Housekeeping's first round comes a minute after start, inside the measured rounds, and on the
        // embedded database it vacuums every table (about a second here). Hourly in a running server, it
        // would fall into a run this long about one time in twenty; it is left out rather than counted always.
        HOUSEKEEPING_INTERVAL_MS: "0",
      },
      /"url":"http:\/\/127\.0\.0\.1:(\d+)"/,
    );
    children.push(tokenbill.child);
    const baseline = await startChild(
      ["--import", "tsx", "bench/pricing/baseline-server.ts"],
      {},
      /listening (\d+)/,
    );
    children.push(baseline.child);

    // Warm both up (JIT, connection pools, the first cache fill), then measure. tokenbill's admin write path
    // is warmed too, under the same load as measured: a server that has run for a while has compiled it.
    await autocannon({ url: `http://127.0.0.1:${baseline.port}/`, connections: CONNECTIONS, duration: 2 });
    await load(tokenbill.port, true).catch(() => undefined);
    const warmWrites = startAdminWrites({
      port: tokenbill.port,
      adminKey: ADMIN_KEY,
      customers: CUSTOMERS,
      perSecond: WARM_WRITES_PER_S,
    });
    await load(tokenbill.port, true, Math.max(1, Math.ceil(WARM_WRITES / WARM_WRITES_PER_S))).catch(
      () => undefined,
    );
    const warmed = await warmWrites.stop();
    if (warmed.failed > 0) throw new Error(`${warmed.failed} admin writes failed in the warm-up`);

    type Figure = Awaited<ReturnType<typeof load>>;
    /** A load on `port` while admin writes go to the same server. */
    const loadWithWrites = async (port: number, randomUser: boolean) => {
      const writes = startAdminWrites({
        port,
        adminKey: ADMIN_KEY,
        customers: CUSTOMERS,
        perSecond: WRITES_PER_S,
      });
      const figure = await load(port, randomUser);
      const written = await writes.stop();
      if (written.failed > 0) throw new Error(`${written.failed} admin writes failed`);
      return { ...figure, writes: written.ok, writesPerS: written.ok / written.seconds };
    };
    // What decides the with-writes ratio is what a write costs tokenbill's process under the load: its CPU
    // (from /proc) in the phase with writes, less the answers at the CPU each cost in the phase without.
    const serveCpuMs = () => readProcessStat(tokenbill.child.pid!)?.cpuMs;
    /** Runs `phase` and adds the CPU tokenbill's process used meanwhile (undefined without /proc). */
    const withServeCpu = async <F>(phase: () => Promise<F>): Promise<F & { cpuMs: number | undefined }> => {
      const before = serveCpuMs();
      const figure = await phase();
      const after = serveCpuMs();
      return { ...figure, cpuMs: before === undefined || after === undefined ? undefined : after - before };
    };
    const rounds: {
      base: Figure;
      baseBusy: Figure;
      tb: Figure;
      busy: Figure;
      writesPerS: number;
      /** This process's CPU per request of the bare server without writes (µs): the load generator's
       * cost, which rises when the machine slows, whatever the server. */
      generatorUs: number;
      /** tokenbill's CPU per answer without writes (µs) and per write beyond the answers (ms). */
      cpu?: { answerUs: number; writeMs: number };
    }[] = [];
    const measureBase = () => load(baseline.port, false);
    const measureBaseBusy = () => loadWithWrites(baseline.port, false);
    const measureTb = async () => {
      const figure = await withServeCpu(() => load(tokenbill.port, true));
      if (figure.non2xx > 0) throw new Error(`tokenbill answered ${figure.non2xx} requests with errors`);
      return figure;
    };
    const measureBusy = async () => {
      const figure = await withServeCpu(() => loadWithWrites(tokenbill.port, true));
      if (figure.non2xx > 0) throw new Error(`tokenbill answered ${figure.non2xx} requests with errors`);
      return figure;
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Each ratio's two phases run one right after the other, and which of them goes first alternates from
      // round to round (ABBA). The machine's speed drifts within a run (docs/performance.md): with a fixed
      // order, tokenbill ran 10 s after its baseline in every round, and a slowing machine counted against it.
      let base: Figure;
      let baseBusy: Figure & { writes: number; writesPerS: number };
      let tb: Awaited<ReturnType<typeof measureTb>>;
      let busy: Awaited<ReturnType<typeof measureBusy>>;
      if (round % 2 === 0) {
        base = await measureBase();
        tb = await measureTb();
        busy = await measureBusy();
        baseBusy = await measureBaseBusy();
      } else {
        baseBusy = await measureBaseBusy();
        busy = await measureBusy();
        tb = await measureTb();
        base = await measureBase();
      }
      const cpu =
        tb.cpuMs !== undefined && busy.cpuMs !== undefined && tb.total > 0 && busy.writes > 0
          ? {
              answerUs: (tb.cpuMs * 1000) / tb.total,
              writeMs: (busy.cpuMs - (busy.total * tb.cpuMs) / tb.total) / busy.writes,
            }
          : undefined;
      rounds.push({
        base,
        baseBusy,
        tb,
        busy,
        writesPerS: busy.writesPerS,
        generatorUs: base.generatorUs,
        ...(cpu ? { cpu } : {}),
      });
      const cpuText = cpu
        ? `; tokenbill's CPU ${cpu.answerUs.toFixed(1)} µs an answer, ${cpu.writeMs.toFixed(2)} ms a write`
        : "";
      process.stdout.write(
        `round ${round + 1} (load generator ${base.generatorUs.toFixed(1)} µs a request): baseline ${base.rps.toFixed(0)} req/s p99 ${base.p99} ms, with writes ${baseBusy.rps.toFixed(0)}; tokenbill ${tb.rps.toFixed(0)} req/s p99 ${tb.p99} ms (ratio ${(tb.rps / base.rps).toFixed(3)}); with writes ${busy.rps.toFixed(0)} req/s p99 ${busy.p99} ms (ratio ${(busy.rps / baseBusy.rps).toFixed(3)})${cpuText}\n`,
      );
    }
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const of = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const fmt = (n: number) => n.toFixed(0);
    process.stdout.write(
      `settings: autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s each, ${CUSTOMERS} customers; medians over the rounds\n`,
    );
    process.stdout.write(
      `baseline (bare node:http): ${fmt(of((r) => r.base.rps))} req/s, p99 ${of((r) => r.base.p99)} ms\n`,
    );
    process.stdout.write(
      `baseline with the same admin writes: ${fmt(of((r) => r.baseBusy.rps))} req/s, p99 ${of((r) => r.baseBusy.p99)} ms\n`,
    );
    process.stdout.write(
      `tokenbill GetTokenPricing: ${fmt(of((r) => r.tb.rps))} req/s, p99 ${of((r) => r.tb.p99)} ms\n`,
    );
    process.stdout.write(
      `tokenbill GetTokenPricing with admin writes (${of((r) => r.writesPerS).toFixed(1)}/s): ${fmt(of((r) => r.busy.rps))} req/s, p99 ${of((r) => r.busy.p99)} ms\n`,
    );
    const generator = rounds.map((r) => r.generatorUs);
    process.stdout.write(
      `the load generator's CPU a request against the bare server (rises when the machine slows): ${Math.min(...generator).toFixed(1)}–${Math.max(...generator).toFixed(1)} µs over the rounds\n`,
    );
    const measured = rounds.flatMap((r) => (r.cpu ? [r.cpu] : []));
    if (measured.length > 0) {
      process.stdout.write(
        `tokenbill's CPU under the load (from /proc): ${median(measured.map((c) => c.answerUs)).toFixed(1)} µs an answer, ${median(measured.map((c) => c.writeMs)).toFixed(2)} ms an admin write beyond the answers (rounds ${Math.min(...measured.map((c) => c.writeMs)).toFixed(2)}–${Math.max(...measured.map((c) => c.writeMs)).toFixed(2)})\n`,
      );
    }
    // After the rounds, so that the probe's traps (a few µs each, when the slow path is taken) touch no ratio.
    if ("probe" in slowPath) {
      const { result, calls } = await slowPath.probe.count(tokenbill.child.pid!, () =>
        load(tokenbill.port, true, 2),
      );
      const perAnswer = result.total > 0 ? calls / result.total : 0;
      process.stdout.write(
        `V8's nextTick slow path (Runtime_DefineKeyedOwnPropertyInLiteral, by uprobe): ${calls} calls over ${result.total} answers, ${perAnswer.toFixed(2)} an answer${perAnswer >= 1 ? ' — SLOW PATH TAKEN (docs/performance.md, "A first start\'s compile")' : ""}\n`,
      );
    } else {
      process.stdout.write(`V8's nextTick slow path: not counted (${slowPath.unavailable})\n`);
    }
    process.stdout.write(`ratio: ${of((r) => r.tb.rps / r.base.rps).toFixed(3)}\n`);
    process.stdout.write(
      `ratio with admin writes (against the baseline with the same writes): ${of((r) => r.busy.rps / r.baseBusy.rps).toFixed(3)}\n`,
    );
    process.stdout.write(
      `ratio with admin writes against the baseline without them: ${of((r) => r.busy.rps / r.base.rps).toFixed(3)}\n`,
    );
    // What the writes take from each server, apart from how the two servers compare: each server's rate with
    // the writes ÷ without them, per round. tokenbill's two phases run back to back in every round, so this is
    // the least noisy view of what the writes cost; the bare server's two phases are a round's first and last,
    // so its figure carries the machine's drift over the round (0.86–1.07 on 2026-12-02, for writes it answers
    // at once).
    process.stdout.write(
      `what the writes leave of each server's rate (with ÷ without): tokenbill ${of((r) => r.busy.rps / r.tb.rps).toFixed(3)}, bare server ${of((r) => r.baseBusy.rps / r.base.rps).toFixed(3)}\n`,
    );
  } finally {
    if ("probe" in slowPath) slowPath.probe.close();
    await Promise.all(children.map(stopChild));
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) {
      const admin = await openDatabase({ url: databaseUrl, poolSize: 1 });
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
      await admin.close();
    }
  }
}

await main();
