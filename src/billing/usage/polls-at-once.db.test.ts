import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendPid, untilLockWaiters } from "../../../test/helpers/lock-waiters.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { serverSnapshot, serversListing } from "../testing/server-snapshots.ts";
import { pollServers } from "./poll-servers.ts";

// Two polls of GET servers at once: the scheduled one under `serve` and one asked for by hand (`tokenbill
// billing poll`, POST /api/v1/server-polls), or two instances. Each records what its listing saw; the second
// to commit must neither fail on the first's rows nor take the server book back to an older listing.

let handle: DatabaseHandle;
let customer: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "polls@example.com" }])) as [bigint];
});
afterAll(async () => handle?.close());

const at = (iso: string) => billingContext(handle, {}, new Date(iso));
const snapshotOf = (id: number) =>
  handle.db
    .selectFrom("server_snapshot")
    .select(["last_seen_at", "gone_at", "segment_seq"])
    .where("server_id", "=", BigInt(id))
    .executeTakeFirstOrThrow();

describe("server polls recorded at once", () => {
  it.runIf(process.env["DATABASE_URL"])(
    "both record, when each saw a new server before the other committed (PostgreSQL)",
    async () => {
      const listing = serversListing([serverSnapshot({ id: 71, customer })]);
      let first: Promise<unknown> | undefined;
      let second: Promise<unknown> | undefined;
      // Holds the polls before their last write, so that the second has read the server book while the first
      // had not committed yet.
      await handle.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE server_poll IN SHARE MODE`.execute(trx);
        const holder = await backendPid(trx);
        first = pollServers({ ctx: at("2026-10-20T00:00:00Z"), input: { solusio: listing } });
        first.catch(() => {});
        await untilLockWaiters(handle.db, holder, 1, "the first poll to wait", first);
        second = pollServers({ ctx: at("2026-10-20T00:00:05Z"), input: { solusio: listing } });
        second.catch(() => {});
        await untilLockWaiters(handle.db, holder, 2, "the second poll to wait", second);
      });
      await expect(first).resolves.toMatchObject({ servers: 1 });
      await expect(second).resolves.toMatchObject({ servers: 1 });
      const segments = await handle.db
        .selectFrom("server_segment")
        .select("seq")
        .where("server_id", "=", 71n)
        .execute();
      expect(segments).toEqual([{ seq: 0 }]);
    },
  );

  it("never take a server back to an older listing: a poll that committed last but listed first", async () => {
    // Servers 81 and 82 seen at 10:00; 82 deleted at 10:20. Poll B lists at 10:30 (81 only) and commits;
    // poll A, which listed at 10:15 (both), commits after it.
    await pollServers({
      ctx: at("2026-10-21T10:00:00Z"),
      input: { solusio: serversListing([81, 82].map((id) => serverSnapshot({ id, customer }))) },
    });
    await pollServers({
      ctx: at("2026-10-21T10:30:00Z"),
      input: { solusio: serversListing([serverSnapshot({ id: 81, customer })]) },
    });
    await pollServers({
      ctx: at("2026-10-21T10:15:00Z"),
      input: { solusio: serversListing([81, 82].map((id) => serverSnapshot({ id, customer }))) },
    });
    // 81 was last seen by B; 82 is gone since B, its last sighting A's (every hour begun by then is billed).
    expect((await snapshotOf(81)).last_seen_at).toEqual(new Date("2026-10-21T10:30:00Z"));
    expect(await snapshotOf(82)).toMatchObject({
      gone_at: new Date("2026-10-21T10:30:00Z"),
      last_seen_at: new Date("2026-10-21T10:15:00Z"),
    });
  });
});
