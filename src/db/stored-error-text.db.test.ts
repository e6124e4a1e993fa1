import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { systemContext } from "../app/database.ts";
import type { PaymentProvider } from "../billing/providers/payment-provider.ts";
import { processProviderEvent } from "../billing/providers/process-provider-event.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import { MemoryUsageSource } from "../billing/usage/memory-usage-source.ts";
import { parseConfig } from "../config.ts";
import { actors } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { syncCustomerHandler } from "../services/sync/sync-customer.ts";
import { databaseCallRecorder } from "../solusio/call-log.ts";
import type { SolusioApi } from "../solusio/solusio-api.ts";
import { SolusioError } from "../solusio/solusio-error.ts";

// Every column that keeps an error's text for staff to read, written by its own writer with an error that
// quotes a URL holding a password and a token: read back, the URL's credentials are masked as a failed job's
// last_error is (storedErrorText). Until 2026-12-07 only last_error was; billing runs, provider events,
// customers' sync errors and the SolusIO call log kept them whole, for every staff role and key to read.

const SECRET_URL = "https://billing:hunter2secret@internal.example:8443/api/v1/users?token=abc123";

let handle: TestDatabase;
let ctx: ServiceContext;

beforeAll(async () => {
  handle = await createTestDatabase();
  ctx = systemContext(handle, parseConfig({ LOG_LEVEL: "silent" }), pino({ level: "silent" }), actors.cli());
}, 60_000);
afterAll(async () => handle?.close());

function expectMasked(stored: string | null | undefined): void {
  expect(stored).toContain("internal.example:8443");
  expect(stored).not.toContain("hunter2secret");
  expect(stored).not.toContain("abc123");
}

describe("an error's text as a column keeps it", () => {
  it("masks a billing run's error", async () => {
    const source = new MemoryUsageSource(() => {
      throw new Error(`could not read usage from ${SECRET_URL}`);
    });
    await expect(runBilling({ ctx, input: { period: "2026-10" }, options: { source } })).rejects.toThrow();
    const run = await handle.db
      .selectFrom("billing_run")
      .select(["state", "error"])
      .where("period", "=", "2026-10")
      .executeTakeFirstOrThrow();
    expect(run.state).toBe("failed");
    expectMasked(run.error);
  });

  it("masks a provider event's error", async () => {
    const provider = {
      name: "masking-test",
      interpret: () => {
        throw new Error(`could not fetch ${SECRET_URL}`);
      },
    } as unknown as PaymentProvider;
    const event = { id: "evt_masked", type: "payment_intent.succeeded", payload: {} };
    await expect(processProviderEvent(ctx, provider, event)).rejects.toThrow();
    const row = await handle.db
      .selectFrom("provider_event")
      .select("error")
      .where("event_id", "=", "evt_masked")
      .executeTakeFirstOrThrow();
    expectMasked(row.error);
  });

  it("masks a customer's sync error, noted on a retry and kept on a failure for good", async () => {
    const customer = await createCustomer({
      ctx,
      input: { email: "masked-sync@example.com", name: "Masked", country: "US", currency: "USD" },
    });
    const api = { stoppedBy: () => api } as unknown as SolusioApi;
    const syncError = async () =>
      (
        await handle.db
          .selectFrom("customer")
          .select("sync_error")
          .where("id", "=", BigInt(customer.id))
          .executeTakeFirstOrThrow()
      ).sync_error;
    const job = { id: 1n, kind: "solusio.sync_customer", orderingKey: null, attempts: 1 };
    const payload = { customerId: String(customer.id) };
    for (const retryable of [true, false]) {
      const handler = syncCustomerHandler({
        db: handle.db,
        api,
        logger: pino({ level: "silent" }),
        limitGroupId: async () => undefined,
        beforeEach: async () => {
          throw new SolusioError(`GET ${SECRET_URL}: 502 bad gateway`, 502, retryable);
        },
      });
      await expect(handler({ ...job, payload } as never)).rejects.toThrow();
      expectMasked(await syncError());
    }
  });

  it("masks a customer's sync error for a user billing may not adopt, as SolusIO named it", async () => {
    // The conflict's message quotes what SolusIO answered for the user (its e-mail); whatever text that is,
    // it is stored as any other error's is. Both conflicts: an admin found by e-mail, two users carrying the id.
    const quoting = { id: 71, email: SECRET_URL, status: "active", billing_user_id: null };
    const cases = [
      { carrying: [], byEmail: { ...quoting, roles: [{ id: 1, name: "Admin" }] }, says: /admin role/ },
      {
        carrying: [
          { ...quoting, billing_user_id: 0 },
          { ...quoting, id: 72, billing_user_id: 0 },
        ],
        byEmail: undefined,
        says: /all carry billing_user_id/,
      },
    ];
    for (const [n, { carrying, byEmail, says }] of cases.entries()) {
      const customer = await createCustomer({
        ctx,
        input: { email: `adopt-${n}@example.com`, name: "Adopt", country: "US", currency: "USD" },
      });
      const id = BigInt(customer.id);
      const api = {
        stoppedBy: () => api,
        findUsersByBillingId: async () => carrying.map((u) => ({ ...u, billing_user_id: Number(id) })),
        findUserByEmail: async () => byEmail,
      } as unknown as SolusioApi;
      const handler = syncCustomerHandler({
        db: handle.db,
        api,
        logger: pino({ level: "silent" }),
        limitGroupId: async () => undefined,
      });
      const job = { id: 1n, kind: "solusio.sync_customer", orderingKey: null, attempts: 1 };
      await expect(handler({ ...job, payload: { customerId: String(id) } } as never)).rejects.toThrow(says);
      const row = await handle.db
        .selectFrom("customer")
        .select(["sync_state", "sync_error"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.sync_state).toBe("conflict");
      expect(row.sync_error).toMatch(says);
      expectMasked(row.sync_error);
    }
  });

  it("masks a SolusIO call's error in the call log", async () => {
    const recorder = databaseCallRecorder(handle.db);
    recorder.record({
      method: "GET",
      path: "/api/v1/masked",
      status: null,
      durationMs: 5,
      attempt: 1,
      requestBody: undefined,
      error: `connect ECONNREFUSED (${SECRET_URL})`,
    });
    await recorder.flush();
    const row = await handle.db
      .selectFrom("solusio_call")
      .select("error")
      .where("path", "=", "/api/v1/masked")
      .executeTakeFirstOrThrow();
    expectMasked(row.error);
  });
});
