import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, customerInput, NOW, NOW_ISO, tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createCustomer } from "../customers/customers.ts";
import {
  createTaxRule,
  deleteTaxRule,
  getTaxRule,
  listTaxRules,
  type TaxRuleCreate,
  updateTaxRule,
} from "./tax-rules.ts";

// The tax rule verbs called directly, each test in a rolled-back transaction: rules with their ordered
// rates, audit rows, and the refusals (one default, one rule per place, rules in use).

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const quebec: TaxRuleCreate = {
  name: "Quebec",
  compound: true,
  country: "CA",
  region: "QC",
  is_default: false,
  rates: [
    { label: "GST", rate: "5" },
    { label: "QST", rate: "9.975" },
  ],
};
const fallback: TaxRuleCreate = {
  name: "No tax",
  compound: false,
  country: null,
  region: null,
  is_default: true,
  rates: [],
};

describe("createTaxRule", () => {
  it("stores the rule with its rates in order and audits tax_rule.create", async () => {
    await withRollback(handle.db, async (ctx) => {
      const rule = await createTaxRule({ ctx, input: quebec });
      expect(rule).toEqual({ id: rule.id, ...quebec, created_at: NOW_ISO, updated_at: NOW_ISO });
      const rates = await ctx.db
        .selectFrom("tax_rate")
        .select(["position", "label", "rate"])
        .orderBy("position");
      expect(await rates.execute()).toEqual([
        { position: 0, label: "GST", rate: "5.0000" },
        { position: 1, label: "QST", rate: "9.9750" },
      ]);
      expect(await getTaxRule({ ctx, input: { id: BigInt(rule.id) } })).toEqual(rule);
      expect(await auditRows(ctx.db)).toEqual([
        {
          at: NOW,
          actor: "system:test",
          request_id: null,
          action: "tax_rule.create",
          entity: "tax_rule",
          entity_id: String(rule.id),
          before: null,
          after: rule,
        },
      ]);
    });
  });

  it("refuses a second default and a second rule for the same place (CONFLICT), writing nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      const first = await createTaxRule({ ctx, input: fallback });
      const qc = await createTaxRule({ ctx, input: quebec });
      await expect(createTaxRule({ ctx, input: { ...fallback, name: "Other" } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: `tax rule ${first.id} is already the default`,
      });
      await expect(createTaxRule({ ctx, input: { ...quebec, name: "QC again" } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: `tax rule ${qc.id} already covers CA/QC`,
      });
      // The country without a region is another place.
      const canada = await createTaxRule({ ctx, input: { ...quebec, name: "Canada", region: null } });
      expect([canada.country, canada.region]).toEqual(["CA", null]);
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual([
        "tax_rule.create",
        "tax_rule.create",
        "tax_rule.create",
      ]);
    });
  });
});

describe("updateTaxRule", () => {
  it("replaces the rates when given, keeps them otherwise, and audits before and after", async () => {
    await withRollback(handle.db, async (ctx) => {
      const rule = await createTaxRule({ ctx, input: quebec });
      const later = { ...ctx, now: () => new Date("2026-12-01T00:00:00Z") };
      const id = BigInt(rule.id);
      const renamed = await updateTaxRule({ ctx: later, input: { id, patch: { name: "QC" } } });
      expect(renamed).toEqual({ ...rule, name: "QC", updated_at: "2026-12-01T00:00:00.000Z" });
      const simple = await updateTaxRule({
        ctx: later,
        input: { id, patch: { compound: false, rates: [{ label: "HST", rate: "14.975" }] } },
      });
      expect([simple.compound, simple.rates]).toEqual([false, [{ label: "HST", rate: "14.975" }]]);
      expect(await ctx.db.selectFrom("tax_rate").select("label").execute()).toEqual([{ label: "HST" }]);
      const audits = await auditRows(ctx.db);
      expect(audits.map((a) => a.action)).toEqual(["tax_rule.create", "tax_rule.update", "tax_rule.update"]);
      expect([audits[2]!.before, audits[2]!.after]).toEqual([renamed, simple]);
    });
  });

  it("refuses a region without a country (VALIDATION), a taken place (CONFLICT) and an unknown id (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const qc = await createTaxRule({ ctx, input: quebec });
      const on = await createTaxRule({ ctx, input: { ...quebec, name: "Ontario", region: "ON" } });
      await expect(
        updateTaxRule({ ctx, input: { id: BigInt(qc.id), patch: { country: null } } }),
      ).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "region", message: "a region needs a country" }],
      });
      await expect(
        updateTaxRule({ ctx, input: { id: BigInt(on.id), patch: { region: "QC" } } }),
      ).rejects.toMatchObject({ code: "CONFLICT", message: `tax rule ${qc.id} already covers CA/QC` });
      await expect(
        updateTaxRule({ ctx, input: { id: 999_999n, patch: { name: "x" } } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: "tax rule 999999 not found" });
      expect(await getTaxRule({ ctx, input: { id: BigInt(on.id) } })).toEqual(on);
      expect((await auditRows(ctx.db)).length).toBe(2);
    });
  });
});

describe("a tax rule's country", () => {
  it("must be one a customer can have: UK or XX would match no customer, so their taxes were never charged", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const country of ["UK", "XX"]) {
        await expect(
          createTaxRule({ ctx, input: { ...quebec, country, region: null, name: country } }),
        ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "country" }] });
      }
      const gb = await createTaxRule({
        ctx,
        input: { ...quebec, country: "GB", region: null, name: "UK VAT" },
      });
      await expect(
        updateTaxRule({ ctx, input: { id: BigInt(gb.id), patch: { country: "UK" } } }),
      ).rejects.toMatchObject({
        message: expect.stringContaining(
          "UK is not an assigned ISO 3166-1 alpha-2 country code (the United Kingdom is GB)",
        ),
      });
      // A rule stored with such a code before the check still saves other changes.
      await ctx.db.updateTable("tax_rule").set({ country: "UK" }).where("id", "=", BigInt(gb.id)).execute();
      const renamed = await updateTaxRule({
        ctx,
        input: { id: BigInt(gb.id), patch: { name: "Old UK VAT" } },
      });
      expect([renamed.name, renamed.country]).toEqual(["Old UK VAT", "UK"]);
    });
  });
});

describe("deleteTaxRule", () => {
  it("deletes the rule with its rates and audits tax_rule.delete", async () => {
    await withRollback(handle.db, async (ctx) => {
      const rule = await createTaxRule({ ctx, input: quebec });
      await deleteTaxRule({ ctx, input: { id: BigInt(rule.id) } });
      await expect(getTaxRule({ ctx, input: { id: BigInt(rule.id) } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      expect(await ctx.db.selectFrom("tax_rate").selectAll().execute()).toEqual([]);
      const audit = (await auditRows(ctx.db))[1];
      expect([audit?.action, audit?.before, audit?.after]).toEqual(["tax_rule.delete", rule, null]);
    });
  });

  it("refuses a rule assigned to a customer (CONFLICT) and an unknown id (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const rule = await createTaxRule({ ctx, input: quebec });
      await createCustomer({ ctx, input: customerInput({ tax_rule_id: BigInt(rule.id) }) });
      await expect(deleteTaxRule({ ctx, input: { id: BigInt(rule.id) } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: `tax rule ${rule.id} is assigned to customers; unassign it first`,
      });
      await expect(deleteTaxRule({ ctx, input: { id: 999_999n } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      expect(await getTaxRule({ ctx, input: { id: BigInt(rule.id) } })).toEqual(rule);
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual(["tax_rule.create", "customer.create"]);
    });
  });
});

describe("listTaxRules", () => {
  it("lists by id, each rule with its own rates", async () => {
    await withRollback(handle.db, async (ctx) => {
      const a = await createTaxRule({ ctx, input: quebec });
      const b = await createTaxRule({ ctx, input: fallback });
      const page = await listTaxRules({ ctx, input: { page: 1, per_page: 50 } });
      expect(page).toEqual({ data: [a, b], meta: { page: 1, per_page: 50, total: 2, last_page: 1 } });
    });
  });
});

it("leaves the database as it was: the rule, its rates and its audit row are rolled back", async () => {
  const tables = ["tax_rule", "tax_rate", "audit_log"] as const;
  const before = await Promise.all(tables.map((t) => tableRows(handle.db, t)));
  await withRollback(handle.db, async (ctx) => {
    await createTaxRule({ ctx, input: quebec });
    const inside = await Promise.all(tables.map((t) => tableRows(ctx.db, t)));
    expect(inside.map((rows, i) => rows.length - before[i]!.length)).toEqual([1, 2, 1]);
  });
  expect(await Promise.all(tables.map((t) => tableRows(handle.db, t)))).toEqual(before);
});
