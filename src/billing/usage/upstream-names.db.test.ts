import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { MAX_NESTING } from "../../kernel/clean-text.ts";
import { type PageServer, startPageServer } from "../../solusio/testing/page-server.ts";
import { runBilling } from "../runs/run-billing.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { serversListing, serverSnapshot } from "../testing/server-snapshots.ts";
import { pollActivity } from "./poll-activity.ts";
import { pollServers } from "./poll-servers.ts";
import { SnapshotUsageSource } from "./snapshot-usage-source.ts";
import { SolusioUsageSource } from "./solusio-usage-source.ts";

// Whoever can name a server in SolusIO writes text that tokenbill stores and prints on invoices. A NUL in one
// server's name made PostgreSQL refuse the billing run's whole stage ("unsupported Unicode escape sequence"),
// so nobody was invoiced; in the activity log it stopped the poller at that entry. Such characters now become
// U+FFFD as they arrive (src/solusio/upstream-text.ts), by each way usage comes in.

const NAME = "web\u0000-1\u202Egpj.exe";
const SHOWN = "web\uFFFD-1\uFFFDgpj.exe";
const PLAN = { id: 2, name: "1 Core\n1 GB", tokens_per_hour: 7, tokens_per_month: 5000 };

let handle: DatabaseHandle;
let customer: bigint;
let solusio: PageServer | undefined;
beforeAll(async () => {
  handle = await createTestDatabase();
  customer = (await createCustomers(handle, [{ email: "names@example.com", currency: "USD" }]))[0]!;
});
afterEach(async () => {
  await solusio?.close();
  solusio = undefined;
});
afterAll(async () => handle?.close());

/**
 * Polls the activity log from a fake SolusIO answering `entries` (then the plans), checks that every entry
 * was recorded, and reads back the stored entry `id`.
 */
async function pollAndRead(entries: { id: number }[], id: bigint) {
  solusio = await startPageServer([
    { data: entries, meta: { last_page: 1 } },
    { data: [PLAN], meta: { current_page: 1, last_page: 1 } },
  ]);
  const ctx = billingContext(handle, {}, new Date("2026-11-20T00:00:00Z"));
  expect(await pollActivity({ ctx, input: { solusio: solusio.api } })).toEqual({
    events: entries.length,
    lastId: entries.at(-1)!.id,
  });
  return handle.db.selectFrom("server_event").select("data").where("id", "=", id).executeTakeFirstOrThrow();
}

describe("names from SolusIO", () => {
  it("a billing run on the usage endpoint invoices a server whose name holds a NUL and an override", async () => {
    const item = {
      server: { id: 71, uuid: "u-71", name: NAME },
      user: { id: 5, billing_user_id: Number(customer) },
      plan: PLAN,
      period_start: "2026-10-01T00:00:00Z",
      period_end: "2026-11-01T00:00:00Z",
      created_at: "2026-10-01T00:00:00Z",
      deleted_at: null,
      hours: 744,
      tokens: 5000,
      charge: "monthly_cap",
    };
    solusio = await startPageServer([{ data: [item], meta: { last_page: 1 } }]);
    const summary = await runBilling({
      ctx: billingContext(handle),
      input: { period: "2026-10" },
      options: { source: new SolusioUsageSource(solusio.api) },
    });
    expect(summary).toMatchObject({ state: "completed", invoices: { created: 1, finalized: 1 } });
    const lines = await handle.db
      .selectFrom("invoice_line")
      .select(["server_name", "plan_name"])
      .where("server_id", "=", 71n)
      .execute();
    expect(lines).toEqual([{ server_name: SHOWN, plan_name: "1 Core\uFFFD1 GB" }]);
  });

  it("a server poll records the server, and the recorded usage shows its name", async () => {
    const ctx = billingContext(handle, {}, new Date("2026-11-20T00:00:00Z"));
    await pollServers({
      ctx,
      input: { solusio: serversListing([{ ...serverSnapshot({ id: 72, customer }), name: NAME }]) },
    });
    const names = [];
    const november = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };
    for await (const r of new SnapshotUsageSource(handle.db, "snapshots").fetchUsage(november))
      if (r.server.id === 72) names.push(r.server.name);
    expect(names).toEqual([SHOWN]);
  });

  it("an activity poll records an entry with a NUL anywhere in its data, and goes on past it", async () => {
    const created = {
      id: 901,
      event: "compute_resource_vm_created",
      created_at: "2026-11-02T00:00:00Z",
      data: {
        server_id: 73,
        server_uuid: "u-73",
        server_name: NAME,
        user_id: 5,
        plan_id: 2,
        "note\u0000": "x\u0000",
      },
    };
    const deleted = {
      id: 902,
      event: "compute_resource_vm_delete_requested",
      created_at: "2026-11-03T00:00:00Z",
      data: { server_id: 73 },
    };
    const stored = await pollAndRead([created, deleted], 901n);
    expect(stored.data).toMatchObject({
      server_name: SHOWN,
      "note\uFFFD": "x\uFFFD",
      plan: { name: "1 Core\uFFFD1 GB" },
    });
    const names = [];
    const november = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };
    for await (const r of new SnapshotUsageSource(handle.db, "activity").fetchUsage(november))
      if (r.server.id === 73) names.push([r.server.name, r.plan.name]);
    expect(names).toEqual([[SHOWN, "1 Core\uFFFD1 GB"]]);
  });
  it("an activity poll records an entry whose data nests without end, cutting it, and goes on past it", async () => {
    // The entry's data is kept whole in jsonb, extra keys included: nested a few thousand levels, it was
    // past what JSON.stringify or PostgreSQL's jsonb takes, and the poller stopped at that entry for good.
    let deep: unknown = "bottom";
    for (let i = 0; i < 3_000; i++) deep = [deep];
    const created = {
      id: 911,
      event: "compute_resource_vm_created",
      created_at: "2026-11-04T00:00:00Z",
      data: { server_id: 74, server_name: "deep", plan_id: 2, extra: deep },
    };
    const stored = await pollAndRead([created], 911n);
    expect(stored.data).toMatchObject({ server_id: 74, plan_id: 2, plan: { name: "1 Core\uFFFD1 GB" } });
    let depth = 0;
    for (let v = (stored.data as { extra: unknown }).extra; Array.isArray(v); v = v[0]) depth++;
    expect(depth).toBeLessThan(MAX_NESTING);
  });
});
