import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

// A customer's limit group against SolusIO: a group SolusIO does not have is drift reconcile reports (the
// sync leaves the user's group alone and says in_sync), and a name that is not configured is refused.

let h: SolusioHarness;
let customerId: number;

beforeAll(async () => {
  // "Gold" is configured but `setup --apply` has not created it yet: SolusIO has only its "Default".
  h = await startSolusioHarness({
    SOLUSIO_LIMIT_GROUPS: JSON.stringify([
      { name: "Default", vms: 10, running_vms: 10, additional_ips: 5 },
      { name: "Gold", vms: 50, running_vms: 50, additional_ips: 10 },
    ]),
  });
  h.runner.start();
  customerId = (
    await h.server.api("POST", "/api/v1/customers", {
      email: "group@example.com",
      country: "DE",
      currency: "EUR",
    })
  ).body.data.id;
  await waitForJobs(h.db);
});
afterAll(async () => h?.close());

const reconcile = async (fix = false) =>
  (await h.server.api("POST", "/api/v1/solusio/reconcile", { fix })).body.data;
const userGroup = async () => {
  const users = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data as any[];
  return users.find((u) => u.billing_user_id === customerId).limit_group.name;
};

describe("a customer's limit group that SolusIO does not have", () => {
  it("is reported by reconcile, not called in sync, and --fix leaves it to a person until the group exists", async () => {
    expect((await reconcile()).drift).toEqual([]);
    expect(
      (await h.server.api("PATCH", `/api/v1/customers/${customerId}`, { limit_group: "Gold" })).status,
    ).toBe(200);
    await waitForJobs(h.db);
    expect(await userGroup()).toBe("Default");

    const report = await reconcile(true);
    expect(report.drift).toEqual([
      {
        kind: "limit_group_unknown",
        customer_id: customerId,
        solusio_user_id: expect.any(Number),
        billing: "Gold",
        solusio: expect.any(Number),
        reason: expect.stringMatching(
          /^limit group "Gold" does not exist in SolusIO, .*run `tokenbill solusio setup --apply`/,
        ),
      },
    ]);
    expect(report.fixed).toEqual([]);

    // Once the group exists, the same customer is ordinary drift that --fix repairs.
    await h.emu("POST", "/api/v1/limit_groups", { name: "Gold", vms: { limit: 50, is_enabled: true } });
    const repaired = await reconcile(true);
    expect(repaired.drift.map((d: { kind: string }) => d.kind)).toEqual(["limit_group_differs"]);
    expect(repaired.fixed).toEqual([customerId]);
    await waitForJobs(h.db);
    expect(await userGroup()).toBe("Gold");
    expect((await reconcile()).drift).toEqual([]);
  });

  it("reports a stored name that is not configured at all (kept from before names were checked)", async () => {
    await h.db
      .updateTable("customer")
      .set({ limit_group: "Platinum" })
      .where("id", "=", BigInt(customerId))
      .execute();
    try {
      const report = await reconcile(true);
      expect(report.drift).toMatchObject([
        {
          kind: "limit_group_unknown",
          customer_id: customerId,
          billing: "Platinum",
          reason: expect.stringMatching(/"Platinum" .*not one of SOLUSIO_LIMIT_GROUPS/),
        },
      ]);
      expect(report.fixed).toEqual([]);
    } finally {
      await h.db
        .updateTable("customer")
        .set({ limit_group: "Gold" })
        .where("id", "=", BigInt(customerId))
        .execute();
    }
  });

  // Passes once updateCustomer calls assertConfiguredLimitGroup (limit-group-choice.ts); customers.ts is not
  // this change's to edit.
  it("refuses a limit group that is not configured, naming the field and the configured groups", async () => {
    const answer = await h.server.api("PATCH", `/api/v1/customers/${customerId}`, {
      limit_group: "Platinum",
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("VALIDATION");
    expect(answer.body.error.issues).toEqual([
      {
        field: "limit_group",
        message:
          'must be one of the configured limit groups (SOLUSIO_LIMIT_GROUPS): "Default", "Gold"; or null for the default group',
      },
    ]);
    expect((await h.server.api("GET", `/api/v1/customers/${customerId}`)).body.data.limit_group).toBe("Gold");
    expect(
      (await h.server.api("PATCH", `/api/v1/customers/${customerId}`, { limit_group: null })).status,
    ).toBe(200);
  });
});
