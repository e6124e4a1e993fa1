import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import type { Database } from "../../src/db/schema.ts";
import { previousPeriod } from "../../src/domain/periods.ts";
import { type ServeProcess, startServe, stopServe, urlWithSchema } from "../helpers/serve-process.ts";

// Issue 13 item 5 on PostgreSQL: three `serve` processes on one database, as several instances behind a
// load balancer run. Each job is delivered once, the billing scheduler runs a period once, prices agree
// across instances within PRICING_REFRESH_MS, and a killed instance's job is taken over by another.
// PostgreSQL only: the embedded database belongs to one serve (the CLI shares it, cli-beside-serve.test.ts).

const baseUrl = process.env["DATABASE_URL"];
const ADMIN_KEY = "three-instances-admin-key-0123";
const CUSTOMERS = 30;
const LOCK_SECONDS = 2;
const REFRESH_MS = 500;

type Instance = ServeProcess;

let emulator: RunningEmulator;
let admin: DatabaseHandle;
let db: Kysely<Database>;
let schema: string;
const instances: Instance[] = [];

async function api(instance: Instance, method: string, path: string, body?: unknown) {
  const r = await fetch(instance.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: r.status === 204 ? undefined : await r.json() };
}

async function emu(method: string, path: string, body?: unknown) {
  const r = await fetch(emulator.url + path, {
    method,
    headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.status === 204 ? undefined : r.json();
}

/** The price GetTokenPricing answers for a customer (SolusIO's `userid` is the customer's numeric id). */
async function price(instance: Instance, customerId: number): Promise<string> {
  const r = await fetch(`${instance.url}/solusio/api`, {
    method: "POST",
    body: new URLSearchParams({ action: "GetTokenPricing", userid: String(customerId) }),
  });
  return JSON.stringify(await r.json());
}

async function billingUsers(): Promise<{ billing_user_id: number; email: string }[]> {
  const users: { billing_user_id: number | null; email: string }[] = [];
  for (let page = 1; ; page++) {
    const r = await emu("GET", `/api/v1/users?per_page=100&page=${page}`);
    users.push(...r.data);
    if (page >= r.meta.last_page) break;
  }
  return users.filter((u): u is { billing_user_id: number; email: string } => u.billing_user_id !== null);
}

const userCreations = async () =>
  Number(
    (
      await db
        .selectFrom("solusio_call")
        .select((eb) => eb.fn.countAll<bigint>().as("n"))
        .where("method", "=", "POST")
        .where("path", "=", "users")
        .where("status", ">=", 200)
        .where("status", "<", 300)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe.skipIf(!baseUrl)("three serve processes on one PostgreSQL database", () => {
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, logger: false });
    schema = `tb_three_${Date.now()}`;
    admin = await openDatabase({ url: baseUrl!, poolSize: 1 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    db = (await openDatabase({ url: baseUrl!, schema, poolSize: 2 })).db;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: "0",
      LOG_LEVEL: "info",
      DATABASE_URL: urlWithSchema(baseUrl!, schema),
      TOKENBILL_ADMIN_API_KEY: ADMIN_KEY,
      SOLUSIO_URL: emulator.apiUrl,
      SOLUSIO_API_TOKEN: emulator.adminToken,
      SOLUSIO_DEFAULT_LIMIT_GROUP: "",
      SOLUSIO_LIMIT_GROUPS: "[]",
      JOB_RETRY_CAP_MS: "1000", // the least it may be
      JOB_LOCK_SECONDS: String(LOCK_SECONDS),
      PRICING_REFRESH_MS: String(REFRESH_MS),
      // A new database's schedule starts at the month in progress (billing-start.ts): the last ended month is
      // billed here because the operator says so, as a provider moving to tokenbill mid-way would.
      BILLING_START_PERIOD: previousPeriod(new Date()),
    };
    delete env["SOLUSIO_PRICING_TOKEN"];
    // All three at once: they migrate the same empty schema side by side (Kysely's migration lock).
    instances.push(...(await Promise.all([startServe(env), startServe(env), startServe(env)])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => stopServe(i, "SIGTERM")));
    await emulator?.close();
    await db?.destroy();
    if (admin) {
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
      await admin.close();
    }
  });

  it("delivers each customer's creation to SolusIO once, whichever instance took it", async () => {
    const created = await Promise.all(
      Array.from({ length: CUSTOMERS }, (_, i) =>
        api(instances[i % 3]!, "POST", "/api/v1/customers", {
          email: `three${i}@example.com`,
          country: "DE",
          currency: "EUR",
        }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(created.map(() => 201));
    await expect
      .poll(async () => (await billingUsers()).length, { timeout: 60_000, interval: 250 })
      .toBe(CUSTOMERS);
    const users = await billingUsers();
    expect(new Set(users.map((u) => u.billing_user_id)).size).toBe(CUSTOMERS);
    // tokenbill's own call log (written in batches, hence the poll): one successful POST users per customer.
    await expect.poll(userCreations, { interval: 200 }).toBe(CUSTOMERS);
    // A job is marked done in its own statement after the call returns, so it can trail the call log.
    const syncJobs = () =>
      db
        .selectFrom("job")
        .select(["status", "attempts"])
        .where("kind", "=", "solusio.sync_customer")
        .execute();
    await expect
      .poll(async () => (await syncJobs()).filter((j) => j.status === "done").length, { interval: 200 })
      .toBe(CUSTOMERS);
    const jobs = await syncJobs();
    expect(jobs).toHaveLength(CUSTOMERS);
    expect(jobs.map((j) => [j.status, j.attempts])).toEqual(jobs.map(() => ["done", 1]));
  }, 90_000);

  it("bills a due period once, though every instance's scheduler fires for it", async () => {
    // Each instance's billing schedule fires at start for the last ended month (billing-rules §5).
    await expect
      .poll(
        async () =>
          (await db.selectFrom("billing_run").select(["period", "state"]).execute()).map((r) => r.state),
        { timeout: 60_000, interval: 250 },
      )
      .toEqual(["completed"]);
    const slots = await db
      .selectFrom("job")
      .select(["slot", "status"])
      .where("slot", "like", "billing:%")
      .execute();
    expect(slots).toHaveLength(1);
    const run = await db.selectFrom("billing_run").select("period").executeTakeFirstOrThrow();
    expect(slots[0]!.slot).toBe(`billing:${run.period}`);
  }, 90_000);

  it("serves a price change made through one instance from the other two within the refresh bound", async () => {
    const customer = await api(instances[0]!, "POST", "/api/v1/customers", {
      email: "priced@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id: number = customer.body.data.id;
    const before = await Promise.all(instances.map((i) => price(i, id)));
    await expect
      .poll(async () => new Set(await Promise.all(instances.map((i) => price(i, id)))).size)
      .toBe(1);
    const discount = await api(instances[0]!, "POST", "/api/v1/discounts", {
      name: "Loyalty",
      description: "0.9 multiplier",
      multiplier: 0.9,
      customer_id: id,
    });
    expect(discount.status).toBe(201);
    const changed = await price(instances[0]!, id);
    expect(changed).not.toBe(before[0]);
    // The bound is PRICING_REFRESH_MS; the poll allows a busy machine several of them.
    await expect
      .poll(async () => Promise.all(instances.map((i) => price(i, id))), {
        timeout: REFRESH_MS * 20,
        interval: 50,
      })
      .toEqual([changed, changed, changed]);
  }, 60_000);

  it("takes over the job of an instance killed in the middle of it once its claim expires", async () => {
    const [a, b, c] = instances as [Instance, Instance, Instance];
    // Only A may claim: B and C are frozen (their wake-ups wait in their sockets).
    b.child.kill("SIGSTOP");
    c.child.kill("SIGSTOP");
    try {
      // SolusIO answers user creations only after 30 s, so A is mid-job when it dies.
      await emu("POST", "/_emulator/faults", {
        rules: [{ path: "/api/v1/users", methods: ["POST"], latency_ms: 30_000 }],
      });
      const created = await api(a, "POST", "/api/v1/customers", {
        email: "orphaned@example.com",
        country: "DE",
        currency: "EUR",
      });
      expect(created.status).toBe(201);
      const id = String(created.body.data.id);
      const jobOf = () =>
        db
          .selectFrom("job")
          .select(["id", "status", "attempts", "locked_by"])
          .where("kind", "=", "solusio.sync_customer")
          .where(sql`payload->>'customerId'`, "=", id)
          .executeTakeFirst();
      await expect.poll(async () => (await jobOf())?.status, { interval: 100 }).toBe("running");
      const held = (await jobOf())!;
      // One SIGKILL, then A's close: B and C wake only once A is gone.
      await stopServe(a, "SIGKILL");
      await emu("DELETE", "/_emulator/faults");
      b.child.kill("SIGCONT");
      c.child.kill("SIGCONT");

      await expect.poll(async () => (await jobOf())?.status, { timeout: 60_000, interval: 200 }).toBe("done");
      const done = (await jobOf())!;
      expect(done.attempts).toBeGreaterThan(held.attempts);
      // Claimed again, by another runner (B's or C's): A's claim ran out with A.
      expect(done.locked_by).not.toBeNull();
      expect(done.locked_by).not.toBe(held.locked_by);
      const users = (await billingUsers()).filter((u) => u.email === "orphaned@example.com");
      expect(users).toHaveLength(1);
      const state = await api(b, "GET", `/api/v1/customers/${id}`);
      expect(state.body.data.sync.state).toBe("in_sync");
    } finally {
      b.child.kill("SIGCONT");
      c.child.kill("SIGCONT");
    }
  }, 120_000);
});
