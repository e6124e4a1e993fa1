// Statements per customer, created (8 creators) and then delivered by the job runner, counted by kind as
// Kysely executes them (BEGIN/COMMIT not included), with wall time per customer for each phase. A figure that,
// unlike the rates in run.ts, does not move with the machine's load; so does the process's CPU time per
// customer (tokenbill, PGlite and the emulator share one thread). A second argument adds emulator latency.
// `node --import tsx bench/sync/count-statements.ts 500 [latency-ms]`
import { pino } from "pino";
import type { KyselyPlugin } from "kysely";
import { createJobRunner } from "../../src/app/runner.ts";
import { systemContext } from "../../src/app/database.ts";
import { parseConfig } from "../../src/config.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { connectSolusio } from "../../src/solusio/connect-solusio.ts";
import { integrate } from "../../src/solusio/integration.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { emulatorWithLatency } from "./emulator-with-latency.ts";
import { inProcessCount, waitUntilInSync } from "./wait-until-in-sync.ts";

const N = Number(process.argv[2] ?? 1000);
const LATENCY_MS = Number(process.argv[3] ?? 0);
const counts = new Map<string, number>();
let phase = "create";
// Counted when a result comes back: a query built into another (a WITH) is transformed but not executed.
const kinds = new WeakMap<object, string>();
const counter: KyselyPlugin = {
  transformQuery(args) {
    kinds.set(args.queryId, args.node.kind);
    return args.node;
  },
  async transformResult(args) {
    const k = `${phase} ${kinds.get(args.queryId)}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    return args.result;
  },
};
const logger = pino({ level: "silent" });
const emulator = await emulatorWithLatency(LATENCY_MS);
const handle = await createTestDatabase();
const db = handle.db.withPlugin(counter);
const config = parseConfig({
  JOB_CONCURRENCY: 8,
  SOLUSIO_DEFAULT_LIMIT_GROUP: "",
  SOLUSIO_LIMIT_GROUPS: "[]",
});
const connection = connectSolusio(db, logger, {
  apiUrl: emulator.apiUrl,
  token: emulator.adminToken,
  tlsInsecure: false,
  timeoutMs: 10_000,
});
const integration = integrate(connection, config);
const ctx = systemContext({ db }, config, logger, actors.system("bench"), integration);
// Creations first, counted alone; then delivery of all of them by the runner.
let next = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < N) {
      const i = next++;
      await createCustomer({ ctx, input: { email: `c${i}@example.com`, country: "DE", currency: "EUR" } });
    }
  }),
);
const t1 = performance.now();
const cpu1 = process.cpuUsage();
phase = "deliver";
const runner = createJobRunner(db, config, logger, integration, { pollMs: 250 });
runner.start();
await waitUntilInSync(inProcessCount(emulator), handle.db, N);
const t2 = performance.now();
const cpu2 = process.cpuUsage();
await runner.stop();
await connection.close();
phase = "x";
const out: Record<string, string> = {};
for (const [k, v] of [...counts].sort()) out[k] = (v / N).toFixed(2);
console.log(
  JSON.stringify({
    N,
    latency_ms: LATENCY_MS,
    create_cpu_ms_per: (cpuMs(cpu0, cpu1) / N).toFixed(2),
    deliver_cpu_ms_per: (cpuMs(cpu1, cpu2) / N).toFixed(2),
    create_ms_per: ((t1 - t0) / N).toFixed(2),
    deliver_ms_per: ((t2 - t1) / N).toFixed(2),
    statements_per_customer: out,
  }),
);
await emulator.close();
await handle.close();

function cpuMs(from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number {
  return (to.user - from.user + to.system - from.system) / 1000;
}
