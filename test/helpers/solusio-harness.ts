import type { Kysely } from "kysely";
import { pino } from "pino";
import { expect } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { type Config, type ConfigInput, parseConfig } from "../../src/config.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import type { Database } from "../../src/db/schema.ts";
import type { JobRunner } from "../../src/jobs/job-runner.ts";
import { actors } from "../../src/kernel/actor.ts";
import type { ServiceContext } from "../../src/kernel/context.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { connectSolusio, type SolusioConnection } from "../../src/solusio/connect-solusio.ts";
import { systemContext } from "../../src/app/database.ts";
import { createJobRunner } from "../../src/app/runner.ts";
import { integrate, type SolusioIntegration } from "../../src/solusio/integration.ts";
import { ConsoleClient } from "../../src/web/console/customer-test-client.ts";
import { createTestDatabase } from "./test-database.ts";
import { startTestServer, type TestServer } from "./test-server.ts";
import { waitUntil } from "./wait-until.ts";

/**
 * tokenbill (real HTTP server, real database) wired to a real SolusIO emulator over loopback, with a job
 * runner whose backoff is short enough for tests. Nothing is mocked.
 */
export interface SolusioHarness {
  handle: DatabaseHandle;
  db: Kysely<Database>;
  emulator: RunningEmulator;
  connection: SolusioConnection;
  integration: SolusioIntegration;
  server: TestServer;
  runner: JobRunner;
  config: Config;
  /** Calls the emulator's API (or its /_emulator control endpoints) with its admin token. */
  emu(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** `now` is the server's clock (default the real one): a test pins it to see what a page shows at a given time. */
export async function startSolusioHarness(
  overrides: Partial<ConfigInput> = {},
  extra: { now?: () => Date } = {},
): Promise<SolusioHarness> {
  const handle = await createTestDatabase();
  const emulator = await startEmulator({ port: 0, logger: false });
  const logger = pino({ level: "silent" });
  const config = parseConfig({ LOG_LEVEL: "silent", ...overrides });
  const connection = connectSolusio(handle.db, logger, {
    apiUrl: emulator.apiUrl,
    token: emulator.adminToken,
    userAreaUrl: emulator.url,
    tlsInsecure: false,
    timeoutMs: 5000,
    backoffBaseMs: config.SOLUSIO_RETRY_BACKOFF_MS,
  });
  const integration = integrate(connection, config);
  const runner = createJobRunner(handle.db, config, logger, integration, {
    backoffBaseMs: 20,
    backoffCapMs: 200,
    pollMs: 20,
  })!;
  const server = await startTestServer(handle.db, { ...overrides }, { solusio: integration, ...extra });
  const emu = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(emulator.url + path, {
      method,
      headers: {
        authorization: `Bearer ${emulator.adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    handle,
    db: handle.db,
    emulator,
    connection,
    integration,
    server,
    runner,
    config,
    emu,
    close: async () => {
      await runner.stop();
      await server.close();
      await connection.close();
      await emulator.close();
      await handle.close();
    },
  };
}

/** Waits until no job is open (pending or running). */
export async function waitForJobs(db: Kysely<Database>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await db
      .selectFrom("job")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .where("status", "in", ["pending", "running"])
      .executeTakeFirstOrThrow();
    if (open.n === 0n) return;
    if (Date.now() > deadline) throw new Error(`${open.n} jobs still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let marks = 0;

/**
 * Resolves once every SolusIO call the harness's connection has made so far has its row in `solusio_call`.
 * The call log writes in the background (call-log.ts gathers for 20 ms), in order, one batch after the
 * other: so a marker call made now vouches, once its own row is there, for every call recorded before it.
 * The marker is a GET of a path no SolusIO has (a 404, not retried), under a name of its own.
 */
export async function callLogWritten(h: SolusioHarness): Promise<void> {
  const path = `_call-log-mark/${++marks}`;
  await h.connection.api.client.getJson(path).catch(() => {});
  await waitUntil(`the call log's row of GET ${path}`, () =>
    h.db.selectFrom("solusio_call").select("id").where("path", "=", path).executeTakeFirst(),
  );
}

/** The emulator's users carrying `billingUserId` (one page of 100 is all a harness test makes). */
export async function solusioUsersCarrying(h: SolusioHarness, billingUserId: number) {
  const r = await h.emu("GET", "/api/v1/users?per_page=100");
  expect(r.body.meta.last_page).toBe(1);
  return (r.body.data as { id: number; email: string; billing_user_id: number | null }[]).filter(
    (u) => u.billing_user_id === billingUserId,
  );
}

/**
 * What planSetup, applySetup and runDoctor need against the harness: its database, its SolusIO client and
 * config, with tokenbill's public URL and a pricing token set as a configured install has them.
 */
export function setupDeps(h: SolusioHarness) {
  return {
    db: h.db,
    api: h.connection.api,
    config: {
      ...h.config,
      TOKENBILL_PUBLIC_URL: h.server.url,
      SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests",
    },
    apiUrl: h.emulator.apiUrl,
    userAreaUrl: h.emulator.url,
  };
}

/** A command-line actor's context on the harness's database (what a `tokenbill` command runs verbs with). */
export function cliContext(h: SolusioHarness): ServiceContext {
  return systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
}

/** A console session of a support user, the narrowest role, on the harness's server: what every staff sees. */
export async function supportConsole(h: SolusioHarness): Promise<ConsoleClient> {
  const input = { email: "support@example.com", role: "support" as const, password: "support password 1" };
  await createStaffUser({ ctx: cliContext(h), input });
  return ConsoleClient.logIn(h.server.url, input.email, input.password);
}
