// Statements per customer, created (8 creators) and then delivered by the job runner, counted by kind as
// Kysely executes them (BEGIN/COMMIT not included), with wall time per customer for each phase. A figure that,
// unlike the rates in run.ts, does not move with the machine's load. `node --import tsx bench/sync/count-statements.ts 500`
import { pino } from "pino";
import type { KyselyPlugin } from "kysely";
import { startEmulator } from "../../emulator/start.ts";
import { createJobRunner } from "../../src/app/runner.ts";
import { systemContext } from "../../src/app/server.ts";
import { parseConfig } from "../../src/config.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { connectSolusio } from "../../src/solusio/connect-solusio.ts";
import { integrate } from "../../src/solusio/integration.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";

const N = Number(process.argv[2] ?? 1000);
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
const emulator = await startEmulator({ port: 0, logger: false });
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
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < N) {
      const i = next++;
      await createCustomer({ ctx, input: { email: `c${i}@example.com`, country: "DE", currency: "EUR" } });
    }
  }),
);
const t1 = performance.now();
phase = "deliver";
const runner = createJobRunner(db, config, logger, integration, { pollMs: 250 });
runner.start();
for (;;) {
  const open = await handle.db
    .selectFrom("customer")
    .select((eb) => eb.fn.countAll<bigint>().as("n"))
    .where("sync_state", "!=", "in_sync")
    .executeTakeFirstOrThrow();
  if (open.n === 0n) break;
  await new Promise((r) => setTimeout(r, 20));
}
const t2 = performance.now();
await runner.stop();
await connection.close();
phase = "x";
const out: Record<string, string> = {};
for (const [k, v] of [...counts].sort()) out[k] = (v / N).toFixed(2);
console.log(
  JSON.stringify({
    N,
    create_ms_per: ((t1 - t0) / N).toFixed(2),
    deliver_ms_per: ((t2 - t1) / N).toFixed(2),
    statements_per_customer: out,
  }),
);
await emulator.close();
await handle.close();
