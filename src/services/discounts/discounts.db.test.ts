import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, customerInput, NOW, NOW_ISO, tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createClientGroup } from "../client-groups/client-groups.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { createCustomer } from "../customers/customers.ts";
import { createDiscount, deleteDiscount, getDiscount, listDiscounts, updateDiscount } from "./discounts.ts";

// The discount verbs called directly, each test in a rolled-back transaction: values, audit rows, refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

/** A client group and a customer to own discounts. */
async function owners(ctx: ServiceContext) {
  const group = await createClientGroup({ ctx, input: { name: "Resellers", description: "" } });
  const customer = await createCustomer({ ctx, input: customerInput() });
  return { groupId: BigInt(group.id), customerId: BigInt(customer.id) };
}
const base = { name: "Loyalty", description: "five years", multiplier: "0.95", position: 0 };

describe("createDiscount", () => {
  it("stores a group's or a customer's discount and audits discount.create", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { groupId, customerId } = await owners(ctx);
      const forGroup = await createDiscount({ ctx, input: { ...base, client_group_id: groupId } });
      expect(forGroup).toEqual({
        id: forGroup.id,
        ...base,
        client_group_id: Number(groupId),
        customer_id: null,
        created_at: NOW_ISO,
        updated_at: NOW_ISO,
      });
      const own = await createDiscount({
        ctx,
        input: { ...base, multiplier: "0.123456789012", customer_id: customerId, position: 3 },
      });
      expect([own.multiplier, own.client_group_id, own.customer_id, own.position]).toEqual([
        "0.123456789012",
        null,
        Number(customerId),
        3,
      ]);
      expect(await getDiscount({ ctx, input: { id: BigInt(own.id) } })).toEqual(own);
      expect((await auditRows(ctx.db)).slice(2)).toEqual(
        [forGroup, own].map((after) => ({
          at: NOW,
          actor: "system:test",
          request_id: null,
          action: "discount.create",
          entity: "discount",
          entity_id: String(after.id),
          before: null,
          after,
        })),
      );
    });
  });

  it("refuses an owner that does not exist (VALIDATION naming the field), writing nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      await expect(
        createDiscount({ ctx, input: { ...base, client_group_id: 999_999n } }),
      ).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "client_group_id", message: "no client group with id 999999" }],
      });
      await expect(createDiscount({ ctx, input: { ...base, customer_id: 999_999n } })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "customer_id", message: "no customer with id 999999" }],
      });
      expect(await auditRows(ctx.db)).toEqual([]);
    });
  });

  it("validates its own input: two owners or none is VALIDATION, writing nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { groupId, customerId } = await owners(ctx);
      const refused = {
        code: "VALIDATION",
        issues: [{ field: "client_group_id", message: "give exactly one of client_group_id or customer_id" }],
      };
      const both = { ...base, client_group_id: groupId, customer_id: customerId };
      await expect(createDiscount({ ctx, input: both })).rejects.toMatchObject(refused);
      await expect(createDiscount({ ctx, input: base })).rejects.toMatchObject(refused);
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual([
        "client_group.create",
        "customer.create",
      ]);
    });
  });
});

describe("updateDiscount", () => {
  it("changes what the patch names and audits before and after; refuses bad input and unknown ids", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { groupId } = await owners(ctx);
      const discount = await createDiscount({ ctx, input: { ...base, client_group_id: groupId } });
      const later = { ...ctx, now: () => new Date("2026-12-01T00:00:00Z") };
      const id = BigInt(discount.id);
      const updated = await updateDiscount({
        ctx: later,
        input: { id, patch: { multiplier: "0.9", position: 2 } },
      });
      expect(updated).toEqual({
        ...discount,
        multiplier: "0.9",
        position: 2,
        updated_at: "2026-12-01T00:00:00.000Z",
      });
      const audit = (await auditRows(ctx.db))[3];
      expect([audit?.action, audit?.entity_id, audit?.before, audit?.after]).toEqual([
        "discount.update",
        String(id),
        discount,
        updated,
      ]);
      await expect(
        updateDiscount({ ctx, input: { id: 999_999n, patch: { name: "x" } } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: "discount 999999 not found" });
      await expect(
        updateDiscount({ ctx, input: { id, patch: { multiplier: "1.5" } } }),
      ).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "patch.multiplier", message: "must be at most 1" }],
      });
      expect(await getDiscount({ ctx, input: { id } })).toEqual(updated);
      expect((await auditRows(ctx.db)).length).toBe(4);
    });
  });
});

describe("deleteDiscount", () => {
  it("deletes and audits discount.delete; an unknown id is NOT_FOUND", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { customerId } = await owners(ctx);
      const discount = await createDiscount({ ctx, input: { ...base, customer_id: customerId } });
      await deleteDiscount({ ctx, input: { id: BigInt(discount.id) } });
      await expect(getDiscount({ ctx, input: { id: BigInt(discount.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: `discount ${discount.id} not found`,
      });
      await expect(deleteDiscount({ ctx, input: { id: BigInt(discount.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      const audits = await auditRows(ctx.db);
      expect([audits.length, audits[3]?.action, audits[3]?.before, audits[3]?.after]).toEqual([
        4,
        "discount.delete",
        discount,
        null,
      ]);
    });
  });
});

describe("listDiscounts", () => {
  it("lists by id, filtered by owner", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { groupId, customerId } = await owners(ctx);
      const g = await createDiscount({ ctx, input: { ...base, client_group_id: groupId } });
      const c = await createDiscount({ ctx, input: { ...base, customer_id: customerId } });
      const list = (q: object) => listDiscounts({ ctx, input: { page: 1, per_page: 50, ...q } });
      expect((await list({})).data).toEqual([g, c]);
      expect((await list({ client_group_id: groupId })).data).toEqual([g]);
      expect((await list({ customer_id: customerId })).data).toEqual([c]);
      expect((await list({ customer_id: 999_999n })).meta).toEqual({
        page: 1,
        per_page: 50,
        total: 0,
        last_page: 1,
      });
    });
  });
});

it("leaves the database as it was: the discount and its audit row are rolled back", async () => {
  const tables = ["discount", "audit_log", "pricing_change"] as const;
  const before = await Promise.all(tables.map((t) => tableRows(handle.db, t)));
  await withRollback(handle.db, async (ctx) => {
    const { groupId } = await owners(ctx);
    await createDiscount({ ctx, input: { ...base, client_group_id: groupId } });
    const inside = await Promise.all(tables.map((t) => tableRows(ctx.db, t)));
    // pricing_change: the customer's row and the group's discount.
    expect(inside.map((rows, i) => rows.length - before[i]!.length)).toEqual([1, 3, 2]);
  });
  expect(await Promise.all(tables.map((t) => tableRows(handle.db, t)))).toEqual(before);
});
