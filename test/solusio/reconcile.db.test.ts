import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

let h: SolusioHarness;

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_DEFAULT_LIMIT_GROUP: "", SOLUSIO_LIMIT_GROUPS: "[]" });
  h.runner.start();
});
afterAll(async () => h?.close());

describe("reconciliation", () => {
  it("reports every kind of drift, and --fix repairs what billing owns", async () => {
    const ids: number[] = [];
    for (const email of ["r1@example.com", "r2@example.com", "r3@example.com"]) {
      ids.push(
        (await h.server.api("POST", "/api/v1/customers", { email, country: "DE", currency: "EUR" })).body.data
          .id,
      );
    }
    await waitForJobs(h.db);
    const users = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data as any[];
    const userOf = (id: number) => users.find((u) => u.billing_user_id === id);
    // Someone edits SolusIO behind billing's back.
    await h.emu("PUT", `/api/v1/users/${userOf(ids[0]!).id}`, { status: "suspended" });
    await h.emu("PATCH", `/api/v1/users/${userOf(ids[1]!).id}`, { email: "changed@example.com" });
    await h.emu("DELETE", `/api/v1/users/${userOf(ids[2]!).id}`);
    await h.emu("POST", "/api/v1/users", {
      email: "stray@example.com",
      password: "pw-123456",
      status: "active",
    });

    const report = await h.server.api("POST", "/api/v1/solusio/reconcile", {});
    expect(report.status).toBe(200);
    const kinds = report.body.data.drift.map(
      (d: { kind: string; customer_id: number | null }) => `${d.kind}:${d.customer_id}`,
    );
    expect(kinds.sort()).toEqual(
      [
        `status_differs:${ids[0]}`,
        `email_differs:${ids[1]}`,
        `missing_in_solusio:${ids[2]}`,
        "unknown_to_billing:null",
      ].sort(),
    );
    expect(report.body.data.fixed).toEqual([]);
    // No body is the default, a report without fixing (until 2026-12-06 "(body): is required").
    const bodiless = await h.server.api("POST", "/api/v1/solusio/reconcile");
    expect([bodiless.status, bodiless.body.data.drift.length, bodiless.body.data.fixed]).toEqual([
      200,
      4,
      [],
    ]);

    const fixed = await h.server.api("POST", "/api/v1/solusio/reconcile", { fix: true });
    expect(fixed.body.data.fixed.sort()).toEqual([...ids].sort());
    await waitForJobs(h.db);
    const again = await h.server.api("POST", "/api/v1/solusio/reconcile", {});
    // Only the user billing does not own is left, untouched.
    expect(again.body.data.drift.map((d: { kind: string }) => d.kind)).toEqual(["unknown_to_billing"]);
  });
  it("answers the counts in full and at most 500 drifts, with a note that more exist", async () => {
    // 501 customers SolusIO has never heard of (written straight to the table: no sync is queued).
    await h.db
      .insertInto("customer")
      .values(
        Array.from({ length: 501 }, (_, i) => ({
          email: `bulk-${i}@example.com`,
          name: "",
          status: "active" as const,
          country: "DE",
          currency_code: "EUR",
          tax_exempt: false,
        })),
      )
      .execute();
    const report = (await h.server.api("POST", "/api/v1/solusio/reconcile", {})).body.data;
    // The first test left one user billing does not own: 502 drifts in all.
    expect(report).toMatchObject({
      drift_total: 502,
      drift_by_kind: { missing_in_solusio: 501, unknown_to_billing: 1 },
      fixed_total: 0,
      fixed: [],
      note: "2 more drifts than listed here; `tokenbill solusio reconcile --json` lists them all",
    });
    expect(report.customers).toBe(504);
    expect(report.drift).toHaveLength(500);
    expect(report.drift[0]).toMatchObject({
      kind: "missing_in_solusio",
      billing: { email: "bulk-0@example.com" },
    });
  });

  it("refuses a SolusIO the database does not belong to (409), fix or not", async () => {
    const [bound] = await h.db.selectFrom("solusio_binding").selectAll().execute();
    expect(bound).toBeDefined();
    // The database now belongs to another installation; the harness still talks to its emulator. The
    // comparison answered 200 with every customer missing, and fix queued syncs that each refused.
    await h.db.updateTable("solusio_binding").set({ identity: "first-user:999:elsewhere" }).execute();
    try {
      for (const body of [{}, { fix: true }]) {
        const refused = await h.server.api("POST", "/api/v1/solusio/reconcile", body);
        expect(refused.status).toBe(409);
        expect(refused.body.error.message).toMatch(
          /^this database belongs to SolusIO at .* \(identity first-user:999:elsewhere\)/,
        );
      }
    } finally {
      await h.db.updateTable("solusio_binding").set({ identity: bound!.identity }).execute();
    }
    expect((await h.server.api("POST", "/api/v1/solusio/reconcile", {})).status).toBe(200);
  });
});
