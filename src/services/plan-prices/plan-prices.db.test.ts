import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, NOW, NOW_ISO, tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { jsonText } from "../../kernel/json.ts";
import {
  createPlanPrice,
  deletePlanPrice,
  getPlanPrice,
  listPlanPrices,
  type PlanPriceCreate,
  updatePlanPrice,
} from "./plan-prices.ts";

// The plan price verbs called directly, each test in a rolled-back transaction: values, audit rows, refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

/** A price as the audit log's jsonb holds it: token counts as JSON integers (digits beyond 2^53). */
const audited = (value: unknown) => JSON.parse(jsonText(value));

const small: PlanPriceCreate = {
  plan_name: "Small",
  tokens_per_hour: 7n,
  tokens_per_month: 5000n,
  ip_tokens_per_hour: 1n,
  ip_tokens_per_month: 500n,
};
const large: PlanPriceCreate = {
  ...small,
  plan_name: "Large",
  tokens_per_hour: 28n,
  tokens_per_month: 20000n,
};

describe("createPlanPrice", () => {
  it("stores whole tokens and audits plan_price.create", async () => {
    await withRollback(handle.db, async (ctx) => {
      const price = await createPlanPrice({ ctx, input: small });
      expect(price).toEqual({
        id: price.id,
        plan_name: "Small",
        tokens_per_hour: 7n,
        tokens_per_month: 5000n,
        ip_tokens_per_hour: 1n,
        ip_tokens_per_month: 500n,
        created_at: NOW_ISO,
        updated_at: NOW_ISO,
      });
      const row = await ctx.db.selectFrom("plan_price").selectAll().executeTakeFirstOrThrow();
      expect([row.tokens_per_hour, row.tokens_per_month]).toEqual([7n, 5000n]);
      expect(await getPlanPrice({ ctx, input: { id: BigInt(price.id) } })).toEqual(price);
      expect(await auditRows(ctx.db)).toEqual([
        {
          at: NOW,
          actor: "system:test",
          request_id: null,
          action: "plan_price.create",
          entity: "plan_price",
          entity_id: String(price.id),
          before: null,
          after: audited(price),
        },
      ]);
    });
  });

  it("refuses a plan name that has a price (CONFLICT, from the unique key)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createPlanPrice({ ctx, input: small });
      // The refusal comes from the database, so it is the last statement of this transaction.
      await expect(createPlanPrice({ ctx, input: { ...large, plan_name: "Small" } })).rejects.toMatchObject({
        code: "CONFLICT",
        // In the request's terms, from the database's detail; not the constraint's name.
        message: 'plan price: plan_name "Small" is already taken',
      });
    });
  });
});

describe("token prices beyond 2^53", () => {
  // QA: 9223372036854775807 was stored exactly and answered as 9223372036854776000 (Number of the bigint).
  it("are answered exactly, as bigints, up to PostgreSQL's bigint; JSON writes them as digits", async () => {
    await withRollback(handle.db, async (ctx) => {
      const max = 2n ** 63n - 1n;
      const price = await createPlanPrice({
        ctx,
        input: {
          plan_name: "QA huge",
          tokens_per_hour: max,
          tokens_per_month: 2n ** 53n,
          ip_tokens_per_hour: 2n ** 53n - 1n,
          ip_tokens_per_month: 0n,
        },
      });
      const tokens = (p: typeof price) => [
        p.tokens_per_hour,
        p.tokens_per_month,
        p.ip_tokens_per_hour,
        p.ip_tokens_per_month,
      ];
      expect(tokens(price)).toEqual([max, 2n ** 53n, 2n ** 53n - 1n, 0n]);
      expect(tokens(await getPlanPrice({ ctx, input: { id: BigInt(price.id) } }))).toEqual(tokens(price));
      expect((await listPlanPrices({ ctx, input: { page: 1, per_page: 50 } })).data.map(tokens)).toEqual([
        tokens(price),
      ]);
      const updated = await updatePlanPrice({
        ctx,
        input: { id: BigInt(price.id), patch: { tokens_per_month: max - 1n } },
      });
      expect(updated.tokens_per_month).toBe(max - 1n);
      // A JSON integer while exact, a string of digits from 2^53 on (src/kernel/json.ts), as amounts are.
      expect(jsonText(tokens(updated))).toBe(
        '["9223372036854775807","9223372036854775806",9007199254740991,0]',
      );
      // The audit log holds the same exact figures.
      const after = (await auditRows(ctx.db))[1]?.after as Record<string, unknown>;
      expect([after["tokens_per_hour"], after["tokens_per_month"]]).toEqual([
        "9223372036854775807",
        "9223372036854775806",
      ]);
    });
  });
});

describe("updatePlanPrice", () => {
  it("changes what the patch names and audits before and after", async () => {
    await withRollback(handle.db, async (ctx) => {
      const price = await createPlanPrice({ ctx, input: small });
      const later = { ...ctx, now: () => new Date("2026-12-01T00:00:00Z") };
      const updated = await updatePlanPrice({
        ctx: later,
        input: { id: BigInt(price.id), patch: { tokens_per_hour: 14n, tokens_per_month: 0n } },
      });
      expect(updated).toEqual({
        ...price,
        tokens_per_hour: 14n,
        tokens_per_month: 0n,
        updated_at: "2026-12-01T00:00:00.000Z",
      });
      const audit = (await auditRows(ctx.db))[1];
      expect([audit?.action, audit?.entity_id, audit?.before, audit?.after]).toEqual([
        "plan_price.update",
        String(price.id),
        audited(price),
        audited(updated),
      ]);
    });
  });

  it("refuses an unknown id (NOT_FOUND) and another plan's name (CONFLICT)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createPlanPrice({ ctx, input: small });
      const other = await createPlanPrice({ ctx, input: large });
      await expect(
        updatePlanPrice({ ctx, input: { id: 999_999n, patch: { tokens_per_hour: 1n } } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: "plan price 999999 not found" });
      expect((await auditRows(ctx.db)).length).toBe(2);
      await expect(
        updatePlanPrice({ ctx, input: { id: BigInt(other.id), patch: { plan_name: "Small" } } }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
    });
  });

  it("validates its own input: negative tokens are VALIDATION naming the field, and change nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      const price = await createPlanPrice({ ctx, input: small });
      await expect(
        updatePlanPrice({ ctx, input: { id: BigInt(price.id), patch: { tokens_per_hour: -1n } } }),
      ).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "patch.tokens_per_hour", message: "must not be negative (got -1)" }],
      });
      expect(await getPlanPrice({ ctx, input: { id: BigInt(price.id) } })).toEqual(price);
      expect((await auditRows(ctx.db)).length).toBe(1);
    });
  });
});

describe("deletePlanPrice", () => {
  it("deletes and audits plan_price.delete; an unknown id is NOT_FOUND", async () => {
    await withRollback(handle.db, async (ctx) => {
      const price = await createPlanPrice({ ctx, input: small });
      await deletePlanPrice({ ctx, input: { id: BigInt(price.id) } });
      await expect(getPlanPrice({ ctx, input: { id: BigInt(price.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: `plan price ${price.id} not found`,
      });
      await expect(deletePlanPrice({ ctx, input: { id: BigInt(price.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      const audits = await auditRows(ctx.db);
      expect([audits.length, audits[1]?.action, audits[1]?.before, audits[1]?.after]).toEqual([
        2,
        "plan_price.delete",
        audited(price),
        null,
      ]);
    });
  });
});

describe("listPlanPrices", () => {
  it("lists by id, a page at a time", async () => {
    await withRollback(handle.db, async (ctx) => {
      const a = await createPlanPrice({ ctx, input: small });
      const b = await createPlanPrice({ ctx, input: large });
      expect(await listPlanPrices({ ctx, input: { page: 1, per_page: 50 } })).toEqual({
        data: [a, b],
        meta: { page: 1, per_page: 50, total: 2, last_page: 1 },
      });
      expect((await listPlanPrices({ ctx, input: { page: 2, per_page: 1 } })).data).toEqual([b]);
    });
  });
});

it("leaves the database as it was: the price and its audit row are rolled back", async () => {
  const tables = ["plan_price", "audit_log"] as const;
  const before = await Promise.all(tables.map((t) => tableRows(handle.db, t)));
  await withRollback(handle.db, async (ctx) => {
    await createPlanPrice({ ctx, input: small });
    const inside = await Promise.all(tables.map((t) => tableRows(ctx.db, t)));
    expect(inside.map((rows, i) => rows.length - before[i]!.length)).toEqual([1, 1]);
  });
  expect(await Promise.all(tables.map((t) => tableRows(handle.db, t)))).toEqual(before);
});
