import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, customerInput, NOW, NOW_ISO, tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createCustomer } from "../customers/customers.ts";
import { createDiscount } from "../discounts/discounts.ts";
import {
  createClientGroup,
  deleteClientGroup,
  getClientGroup,
  listClientGroups,
  updateClientGroup,
} from "./client-groups.ts";
import { createStaffUser } from "../staff/staff-users.ts";

// The client group verbs called directly, each test in a rolled-back transaction: values, audit rows, refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const resellers = { name: "Resellers", description: "sell on our servers" };

describe("createClientGroup", () => {
  it("stores the group and audits client_group.create", async () => {
    await withRollback(handle.db, async (ctx) => {
      const group = await createClientGroup({ ctx, input: resellers });
      expect(group).toEqual({ id: group.id, ...resellers, created_at: NOW_ISO, updated_at: NOW_ISO });
      expect(await getClientGroup({ ctx, input: { id: BigInt(group.id) } })).toEqual(group);
      expect(await auditRows(ctx.db)).toEqual([
        {
          at: NOW,
          actor: "system:test",
          request_id: null,
          action: "client_group.create",
          entity: "client_group",
          entity_id: String(group.id),
          before: null,
          after: group,
        },
      ]);
    });
  });

  it("refuses a name in use (CONFLICT) and writes no audit row", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createClientGroup({ ctx, input: resellers });
      await expect(
        createClientGroup({ ctx, input: { ...resellers, description: "" } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        message: "a client group named Resellers already exists",
      });
      expect((await auditRows(ctx.db)).length).toBe(1);
    });
  });
});

describe("updateClientGroup", () => {
  it("renames, keeps its own name without conflict, and audits before and after", async () => {
    await withRollback(handle.db, async (ctx) => {
      const group = await createClientGroup({ ctx, input: resellers });
      // A staff actor must be a real, enabled staff user with a role that may change pricing.
      const staff = await createStaffUser({
        ctx,
        input: { email: "admin@example.com", role: "admin", password: "a long enough password" },
      });
      const later = { ...ctx, now: () => new Date("2026-12-01T00:00:00Z"), actor: actors.staff(staff.id) };
      const id = BigInt(group.id);
      const same = await updateClientGroup({ ctx: later, input: { id, patch: { name: "Resellers" } } });
      const renamed = await updateClientGroup({ ctx: later, input: { id, patch: { name: "Partners" } } });
      expect(renamed).toEqual({ ...group, name: "Partners", updated_at: "2026-12-01T00:00:00.000Z" });
      const audits = await auditRows(ctx.db);
      expect(audits.map((a) => [a.action, a.actor])).toEqual([
        ["client_group.create", "system:test"],
        ["staff_user.create", "system:test"],
        ["client_group.update", `staff:${staff.id}`],
        ["client_group.update", `staff:${staff.id}`],
      ]);
      expect([audits[3]!.before, audits[3]!.after]).toEqual([same, renamed]);
    });
  });

  it("refuses another group's name (CONFLICT) and an unknown id (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createClientGroup({ ctx, input: resellers });
      const other = await createClientGroup({ ctx, input: { name: "Staff", description: "" } });
      await expect(
        updateClientGroup({ ctx, input: { id: BigInt(other.id), patch: { name: "Resellers" } } }),
      ).rejects.toMatchObject({ code: "CONFLICT", message: "a client group named Resellers already exists" });
      await expect(
        updateClientGroup({ ctx, input: { id: 999_999n, patch: { description: "x" } } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: "client group 999999 not found" });
      expect(await getClientGroup({ ctx, input: { id: BigInt(other.id) } })).toEqual(other);
      expect((await auditRows(ctx.db)).length).toBe(2);
    });
  });
});

describe("deleteClientGroup", () => {
  it("deletes the group with its discounts and audits client_group.delete", async () => {
    await withRollback(handle.db, async (ctx) => {
      const group = await createClientGroup({ ctx, input: resellers });
      await createDiscount({
        ctx,
        input: {
          name: "5 %",
          description: "",
          multiplier: "0.95",
          client_group_id: BigInt(group.id),
          position: 0,
        },
      });
      await deleteClientGroup({ ctx, input: { id: BigInt(group.id) } });
      await expect(getClientGroup({ ctx, input: { id: BigInt(group.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      expect(await ctx.db.selectFrom("discount").selectAll().execute()).toEqual([]);
      const audit = (await auditRows(ctx.db))[2];
      expect([audit?.action, audit?.entity_id, audit?.before, audit?.after]).toEqual([
        "client_group.delete",
        String(group.id),
        group,
        null,
      ]);
    });
  });

  it("refuses a group that still has customers (CONFLICT) and an unknown id (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const group = await createClientGroup({ ctx, input: resellers });
      await createCustomer({ ctx, input: customerInput({ client_group_id: BigInt(group.id) }) });
      await expect(deleteClientGroup({ ctx, input: { id: BigInt(group.id) } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: `client group ${group.id} still has customers; move them first`,
      });
      await expect(deleteClientGroup({ ctx, input: { id: 999_999n } })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "client group 999999 not found",
      });
      expect(await getClientGroup({ ctx, input: { id: BigInt(group.id) } })).toEqual(group);
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual([
        "client_group.create",
        "customer.create",
      ]);
    });
  });
});

describe("listClientGroups", () => {
  it("lists by id, a page at a time", async () => {
    await withRollback(handle.db, async (ctx) => {
      const a = await createClientGroup({ ctx, input: resellers });
      const b = await createClientGroup({ ctx, input: { name: "Staff", description: "" } });
      expect(await listClientGroups({ ctx, input: { page: 1, per_page: 50 } })).toEqual({
        data: [a, b],
        meta: { page: 1, per_page: 50, total: 2, last_page: 1 },
      });
      expect((await listClientGroups({ ctx, input: { page: 2, per_page: 1 } })).data).toEqual([b]);
    });
  });
});

it("leaves the database as it was: the group and its audit row are rolled back", async () => {
  const tables = ["client_group", "audit_log"] as const;
  const before = await Promise.all(tables.map((t) => tableRows(handle.db, t)));
  await withRollback(handle.db, async (ctx) => {
    await createClientGroup({ ctx, input: resellers });
    const inside = await Promise.all(tables.map((t) => tableRows(ctx.db, t)));
    expect(inside.map((rows, i) => rows.length - before[i]!.length)).toEqual([1, 1]);
  });
  expect(await Promise.all(tables.map((t) => tableRows(handle.db, t)))).toEqual(before);
});
