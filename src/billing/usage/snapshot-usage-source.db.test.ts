import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { UsagePeriod } from "../../domain/usage-record.ts";
import { billingContext, createCustomers, OCTOBER } from "../testing/billing-fixtures.ts";
import { serversListing, serverSnapshot } from "../testing/server-snapshots.ts";
import { pollServers } from "./poll-servers.ts";
import { type RebuiltSourceName, SnapshotUsageSource } from "./snapshot-usage-source.ts";

// The portal's estimate asks the recorded usage for one customer's servers (UsagePeriod.billingUserId). The
// recorded sources read only the servers that may be the customer's, through migration 019's indexes, and
// still find every one of its servers: by its sighting's billing user, or by the SolusIO user a sighting or
// a creation in the activity log names. Before, every portal view read every server of the month.

let handle: DatabaseHandle;
let ada: bigint;
let bob: bigint;
const ADA_SOLUSIO = 501;
const BOB_SOLUSIO = 502;

// The plan the sightings list (serverSnapshot): the server poll records its prices for the log's servers too.
const plan = {
  id: 1,
  name: "7/5000",
  tokens_per_hour: "7",
  tokens_per_month: "5000",
  ip_tokens_per_hour: "1",
  ip_tokens_per_month: "500",
  backup_price: "0",
};

beforeAll(async () => {
  handle = await createTestDatabase();
  const ids = await createCustomers(handle, [{ email: "ada@example.com" }, { email: "bob@example.com" }]);
  ada = ids[0]!;
  bob = ids[1]!;
  for (const [id, solusio] of [
    [ada, ADA_SOLUSIO],
    [bob, BOB_SOLUSIO],
  ] as const)
    await handle.db
      .updateTable("customer")
      .set({ solusio_user_id: BigInt(solusio) })
      .where("id", "=", id)
      .execute();
  // Sighted: 11 Ada's, 12 Bob's, 13 Ada's SolusIO user's without a billing user on it.
  const unbilled = {
    ...serverSnapshot({ id: 13, customer: 0n }),
    user: { id: ADA_SOLUSIO, billing_user_id: null },
  };
  const ctx = billingContext(handle, {}, new Date("2026-10-20T00:00:00Z"));
  await pollServers({
    ctx,
    input: {
      solusio: serversListing([
        serverSnapshot({ id: 11, customer: ada }),
        serverSnapshot({ id: 12, customer: bob }),
        unbilled,
      ]),
    },
  });
  // Only in the activity log: 21 created by Ada's SolusIO user, 22 by Bob's.
  for (const [id, serverId, user] of [
    [1n, 21n, ADA_SOLUSIO],
    [2n, 22n, BOB_SOLUSIO],
  ] as const) {
    await handle.db
      .insertInto("server_event")
      .values({
        id,
        event: "compute_resource_vm_created",
        server_id: serverId,
        at: new Date("2026-10-05T00:00:00Z"),
        data: JSON.stringify({
          user_id: user,
          server_uuid: `uuid-${serverId}`,
          server_name: `vps-${serverId}`,
          plan,
        }),
      })
      .execute();
  }
});
afterAll(async () => handle?.close());

async function serversOf(name: RebuiltSourceName, period: UsagePeriod) {
  const records = [];
  for await (const r of new SnapshotUsageSource(handle.db, name).fetchUsage(period))
    records.push({ server: r.server.id, billingUserId: r.billingUserId });
  return records.sort((a, b) => a.server - b.server);
}

describe("the recorded usage of one customer", () => {
  it.each([
    ["snapshots", [11, 13]],
    ["activity", [21]],
    ["snapshots+activity", [11, 13, 21]],
  ] as const)(
    "%s: reads only servers that may be the customer's, and finds every one of them",
    async (name, expected) => {
      const everyone = await serversOf(name, OCTOBER);
      const adas = everyone.filter((r) => r.billingUserId === ada);
      // Server 13's sighting names no billing user: it is billed to nobody, in the full list as in the narrow one.
      expect(adas.map((r) => r.server)).toEqual(expected.filter((s) => s !== 13));
      const narrowed = await serversOf(name, { ...OCTOBER, billingUserId: ada });
      expect(narrowed.map((r) => r.server)).toEqual(expected);
      expect(narrowed.filter((r) => r.billingUserId === ada)).toEqual(adas);
      // Bob's servers were in the full list and are not read for Ada.
      expect(everyone.some((r) => r.billingUserId === bob)).toBe(true);
      expect(narrowed.some((r) => r.billingUserId === bob)).toBe(false);
    },
  );

  it("reads nothing of others for a customer SolusIO does not know yet", async () => {
    const [carol] = await createCustomers(handle, [{ email: "carol@example.com" }]);
    expect(await serversOf("snapshots+activity", { ...OCTOBER, billingUserId: carol! })).toEqual([]);
  });
});
