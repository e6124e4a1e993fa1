import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import { createCustomers, createSection4Customer } from "../../billing/testing/billing-fixtures.ts";
import { emulatorDriver } from "../../billing/testing/emulator-driver.ts";
import { emulatorIntegration } from "../../billing/testing/emulator-integration.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { jsonText } from "../../kernel/json.ts";
import type { StaffRole } from "../../db/schema.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";
import { createStaffPerRole } from "./pricing-test-client.ts";

// October 2026 ready to bill, for the console money pages' tests (and the browser journey): the emulator
// as SolusIO with a month of usage for two customers — the billing-rules §4 customer (discount 0.95,
// compound City Tax 6 % and State Tax 2 %: $5.14) and a plain one ($5.00) — and one SolusIO user tokenbill
// does not know (an anomaly); tokenbill's server on it, and staff per role.

export interface BilledWorld {
  handle: DatabaseHandle;
  server: TestServer;
  section4: bigint;
  plain: bigint;
  /** The emulator as SolusIO, for a test that runs the job runner against it. */
  integration: SolusioIntegration;
  close(): Promise<void>;
}

export async function octoberToBill(
  overrides: Record<string, string> = {},
  roles: readonly StaffRole[] = ["owner", "billing", "support"],
  extra: { newerSchema?: () => readonly string[] | undefined } = {},
): Promise<BilledWorld> {
  const handle = await createTestDatabase();
  const section4 = await createSection4Customer(handle);
  const [plain] = await createCustomers(handle, [{ email: "plain@example.com" }]);
  const em: RunningEmulator = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [{ id: 1, name: "1 Core, 1 GB RAM", tokens_per_hour: 7, tokens_per_month: 5000 }],
      users: [
        { id: 5, email: "section4@example.com", billing_user_id: Number(section4) },
        { id: 6, email: "plain@example.com", billing_user_id: Number(plain) },
        { id: 7, email: "stranger@example.com", billing_user_id: 424242 },
      ],
    },
  });
  const solusio = emulatorDriver(em);
  for (const user of [5, 6, 7]) await solusio.createServer({ name: `vps-${user}`, plan: 1, user });
  await solusio.at("2026-11-02T00:00:00Z");
  const integration: SolusioIntegration = emulatorIntegration(handle, em);
  const server = await startTestServer(
    handle.db,
    { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken, ...overrides },
    { solusio: integration, ...extra },
  );
  await createStaffPerRole(handle, roles);
  return {
    handle,
    server,
    section4,
    plain: plain!,
    integration,
    close: async () => {
      await server.close();
      await integration.connection.close();
      await em.close();
      await handle.close();
    },
  };
}

/**
 * Waits for a run to leave "running", reading it through the admin API; fails saying what it last read (the
 * run's phase and progress, or the answer that was no run). The wait's ceiling is waitUntil's: 400 × 25 ms
 * (until 2026-12-07) is less than a loaded machine takes.
 */
export async function finishedRun(server: TestServer, id: string): Promise<{ state: string }> {
  let last: unknown;
  return waitUntil(
    () => `billing run ${id} to leave "running" (last read: ${jsonText(last)})`,
    async () => {
      const r = await server.api("GET", `/api/v1/billing-runs/${id}`);
      last = r.status === 200 ? r.body.data : { status: r.status, body: r.body };
      return r.status === 200 && r.body.data.state !== "running"
        ? (r.body.data as { state: string })
        : undefined;
    },
  );
}
