import { pino } from "pino";
import { Agent, request } from "undici";
import { startEmulator } from "../../emulator/start.ts";
import { systemContext } from "../../src/app/server.ts";
import { parseConfig } from "../../src/config.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { connectSolusio } from "../../src/solusio/connect-solusio.ts";
import { createJobRunner } from "../../src/app/runner.ts";
import { integrate } from "../../src/solusio/integration.ts";
import { actors } from "../../src/kernel/actor.ts";

// User sync throughput: N customers created in tokenbill and delivered to the SolusIO emulator by the job
// runner (each delivery = search by e-mail + POST users + bookkeeping), against the emulator's raw
// `POST users` rate driven directly with the same concurrency in the same run. Prints `ratio: X`.

const N = Number(process.argv.find((a) => a.startsWith("--customers="))?.split("=")[1] ?? 10_000);
const CONCURRENCY = 8;
const logger = pino({ level: "silent" });

async function direct(): Promise<number> {
  const emulator = await startEmulator({ port: 0, logger: false });
  const agent = new Agent({ connections: CONCURRENCY });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const i = next++;
        const r = await request(`${emulator.apiUrl}/users`, {
          method: "POST",
          dispatcher: agent,
          headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({
            email: `direct${i}@example.com`,
            password: "pw-123456",
            status: "active",
            billing_user_id: i + 1,
          }),
        });
        await r.body.text();
        if (r.statusCode !== 201) throw new Error(`POST users answered ${r.statusCode}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  await emulator.close();
  return N / seconds;
}

async function throughTokenbill(): Promise<{ rate: number; createSeconds: number }> {
  const emulator = await startEmulator({ port: 0, logger: false });
  // In-memory PGlite, or a throw-away schema on DATABASE_URL's PostgreSQL.
  const handle = await createTestDatabase();
  const config = parseConfig({
    JOB_CONCURRENCY: CONCURRENCY,
    SOLUSIO_DEFAULT_LIMIT_GROUP: "",
    SOLUSIO_LIMIT_GROUPS: "[]",
  });
  const connection = connectSolusio(handle.db, logger, {
    apiUrl: emulator.apiUrl,
    token: emulator.adminToken,
    tlsInsecure: false,
    timeoutMs: 10_000,
  });
  const integration = integrate(connection, config);
  const runner = createJobRunner(handle.db, config, logger, integration, { pollMs: 10 });
  const ctx = systemContext(handle, config, logger, actors.system("bench"), integration);
  const started = performance.now();
  runner.start();
  const base = {
    name: "",
    region: null,
    tax_exempt: false,
    status: "active" as const,
    client_group_id: null,
    tax_rule_id: null,
    limit_group: null,
  };
  // Customers arrive as concurrent admin requests would, with the same concurrency as the baseline.
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const i = next++;
        await createCustomer({
          ctx,
          input: { ...base, email: `bench${i}@example.com`, country: "DE", currency: "EUR" },
        });
        if (i % 50 === 0) runner.wake();
      }
    }),
  );
  const createSeconds = (performance.now() - started) / 1000;
  for (;;) {
    const open = await handle.db
      .selectFrom("customer")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .where("sync_state", "!=", "in_sync")
      .executeTakeFirstOrThrow();
    if (open.n === 0n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  const users = emulator.state.users.filter((u) => u.billingUserId !== null && u.deletedAt === null).length;
  if (users !== N) throw new Error(`expected ${N} users in the emulator, found ${users}`);
  await runner.stop();
  await connection.close();
  await emulator.close();
  await handle.close();
  return { rate: N / seconds, createSeconds };
}

const directRate = await direct();
const tb = await throughTokenbill();
process.stdout.write(
  `customers: ${N}, concurrency ${CONCURRENCY}, database ${process.env["DATABASE_URL"] ? "PostgreSQL" : "PGlite"}\n`,
);
process.stdout.write(`direct POST users: ${directRate.toFixed(0)} users/s\n`);
process.stdout.write(
  `tokenbill create + deliver: ${tb.rate.toFixed(0)} users/s (creating took ${tb.createSeconds.toFixed(1)} s)\n`,
);
process.stdout.write(`ratio: ${(tb.rate / directRate).toFixed(3)}\n`);
