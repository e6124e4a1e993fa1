import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOW_ISO, tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createClientGroup, updateClientGroup } from "../client-groups/client-groups.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { listAuditLog } from "./list-audit-log.ts";

// listAuditLog called directly, each test in a rolled-back transaction: the rows other verbs wrote, newest
// first, with the filters and pages the admin API offers.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

/** Three audit rows: two groups made by the CLI, then the first renamed by an admin key in a request. */
async function history(ctx: ServiceContext) {
  const cli = { ...ctx, actor: actors.cli() };
  const a = await createClientGroup({ ctx: cli, input: { name: "A", description: "" } });
  const b = await createClientGroup({ ctx: cli, input: { name: "B", description: "" } });
  const admin = { ...ctx, actor: actors.adminKey("key_0123456789ab", "admin"), requestId: "req-1" };
  const renamed = await updateClientGroup({ ctx: admin, input: { id: BigInt(a.id), patch: { name: "A2" } } });
  return { a, b, renamed };
}

const page = { page: 1, per_page: 50 };

describe("listAuditLog", () => {
  it("lists every entry newest first, with before and after as JSON", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { a, b, renamed } = await history(ctx);
      const log = await listAuditLog({ ctx, input: page });
      expect(log.meta).toEqual({ page: 1, per_page: 50, total: 3, last_page: 1, next_cursor: null });
      expect(log.data.map(({ id: _id, ...entry }) => entry)).toEqual([
        {
          at: NOW_ISO,
          actor: "apikey:key_0123456789ab",
          request_id: "req-1",
          action: "client_group.update",
          entity: "client_group",
          entity_id: String(a.id),
          before: a,
          after: renamed,
        },
        ...[b, a].map((group) => ({
          at: NOW_ISO,
          actor: "cli",
          request_id: null,
          action: "client_group.create",
          entity: "client_group",
          entity_id: String(group.id),
          before: null,
          after: group,
        })),
      ]);
      const ids = log.data.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => y - x));
    });
  });

  it("filters by entity, entity id and actor, together or alone", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { a, b } = await history(ctx);
      const actions = async (filter: object) =>
        (await listAuditLog({ ctx, input: { ...page, ...filter } })).data.map((e) => [e.action, e.entity_id]);
      expect(await actions({ entity: "client_group", entity_id: String(a.id) })).toEqual([
        ["client_group.update", String(a.id)],
        ["client_group.create", String(a.id)],
      ]);
      expect(await actions({ actor: "cli" })).toEqual([
        ["client_group.create", String(b.id)],
        ["client_group.create", String(a.id)],
      ]);
      expect(await actions({ actor: "apikey:key_0123456789ab", entity_id: String(b.id) })).toEqual([]);
      expect(await actions({ entity: "customer" })).toEqual([]);
    });
  });

  it("pages newest first", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { a } = await history(ctx);
      const last = await listAuditLog({ ctx, input: { page: 2, per_page: 2 } });
      expect([last.data.map((e) => [e.action, e.entity_id]), last.meta]).toEqual([
        [["client_group.create", String(a.id)]],
        { page: 2, per_page: 2, total: 3, last_page: 2, next_cursor: null },
      ]);
      // Walked by cursor, the same entry ends the log (until 2026-12-07 the log paged by OFFSET only).
      const first = await listAuditLog({ ctx, input: { page: 1, per_page: 2 } });
      const cursor = first.meta.next_cursor!;
      const walked = await listAuditLog({ ctx, input: { page: 1, per_page: 2, cursor } });
      expect(walked.data).toEqual(last.data);
      expect(walked.meta).toEqual({
        page: null,
        per_page: 2,
        total: null,
        last_page: null,
        next_cursor: null,
      });
    });
  });
});

it("leaves the database as it was: the audit rows written inside are rolled back", async () => {
  const before = await tableRows(handle.db, "audit_log");
  await withRollback(handle.db, async (ctx) => {
    await history(ctx);
    expect((await listAuditLog({ ctx, input: page })).meta.total).toBe(before.length + 3);
  });
  expect(await tableRows(handle.db, "audit_log")).toEqual(before);
});
