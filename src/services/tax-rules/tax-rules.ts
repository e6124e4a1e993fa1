import { isAssignedCountryCode } from "../../domain/country-codes.ts";
import type { Selectable } from "kysely";
import { z } from "zod";
import type { TaxRateTable, TaxRuleTable } from "../../db/schema.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { Tx } from "../../kernel/context.ts";
import { canonicalDecimal } from "../currencies/currencies.ts";
import { mapDbError } from "../../kernel/db-errors.ts";
import { type Page, PageQuery, fetchPage } from "../../kernel/pagination.ts";
import { countryCode, decimalString, idOut, IdParams } from "../../kernel/schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

// A tax rule is an ordered list of rates (percent) applied compound or simple (billing-rules §3).
// A customer gets: its explicit tax_rule_id, else the rule for (country, region), else (country), else the default.

const TaxRateInput = z
  .object({
    label: z.string().min(1).max(100),
    rate: decimalString({ maxScale: 4, min: "0", max: "100" }).meta({ description: "percent", example: "6" }),
  })
  .strict();

const ruleFields = {
  name: z.string().min(1).max(200),
  compound: z.boolean(),
  country: countryCode.nullable(),
  region: z.string().min(1).max(100).nullable(),
  is_default: z.boolean(),
  rates: z.array(TaxRateInput).max(10).meta({ description: "in the order they apply" }),
};

function regionNeedsCountry(v: { country?: string | null; region?: string | null }, zctx: z.RefinementCtx) {
  if (v.region && !v.country)
    zctx.addIssue({ code: "custom", path: ["region"], message: "a region needs a country" });
}

export const TaxRuleCreate = z
  .object({
    ...ruleFields,
    compound: ruleFields.compound.default(false),
    country: ruleFields.country.default(null),
    region: ruleFields.region.default(null),
    is_default: ruleFields.is_default.default(false),
  })
  .strict()
  .superRefine(regionNeedsCountry);
export type TaxRuleCreate = z.output<typeof TaxRuleCreate>;

export const TaxRuleUpdate = z.object(ruleFields).partial().strict();
export type TaxRuleUpdate = z.output<typeof TaxRuleUpdate>;

export const TaxRule = z.object({
  id: z.number().int(),
  name: z.string(),
  compound: z.boolean(),
  country: z.string().nullable(),
  region: z.string().nullable(),
  is_default: z.boolean(),
  rates: z.array(z.object({ label: z.string(), rate: z.string() })),
  created_at: z.string(),
  updated_at: z.string(),
});
export type TaxRule = z.output<typeof TaxRule>;

export function presentTaxRule(row: Selectable<TaxRuleTable>, rates: Selectable<TaxRateTable>[]): TaxRule {
  return {
    id: idOut(row.id),
    name: row.name,
    compound: row.compound,
    country: row.country,
    region: row.region,
    is_default: row.is_default,
    rates: rates
      .filter((r) => r.tax_rule_id === row.id)
      .sort((a, b) => a.position - b.position)
      .map((r) => ({ label: r.label, rate: canonicalDecimal(r.rate) })),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

async function ratesOf(trx: Tx, ids: bigint[]) {
  if (ids.length === 0) return [];
  return trx.selectFrom("tax_rate").selectAll().where("tax_rule_id", "in", ids).execute();
}

async function loadRule(trx: Tx, id: bigint, lock: boolean): Promise<TaxRule> {
  let q = trx.selectFrom("tax_rule").selectAll().where("id", "=", id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw ServiceError.notFound(`tax rule ${id}`);
  return presentTaxRule(row, await ratesOf(trx, [id]));
}

async function assertPlaceFree(
  trx: Tx,
  v: { country: string | null; region: string | null; is_default: boolean },
  exceptId?: bigint,
) {
  if (v.is_default) {
    let q = trx.selectFrom("tax_rule").select("id").where("is_default", "=", true);
    if (exceptId !== undefined) q = q.where("id", "!=", exceptId);
    const other = await q.executeTakeFirst();
    if (other) throw new ServiceError("CONFLICT", `tax rule ${other.id} is already the default`);
  }
  if (v.country) {
    let q = trx
      .selectFrom("tax_rule")
      .select("id")
      .where("country", "=", v.country)
      .where((eb) => (v.region === null ? eb("region", "is", null) : eb("region", "=", v.region)));
    if (exceptId !== undefined) q = q.where("id", "!=", exceptId);
    const other = await q.executeTakeFirst();
    if (other)
      throw new ServiceError(
        "CONFLICT",
        `tax rule ${other.id} already covers ${v.country}${v.region ? `/${v.region}` : ""}`,
      );
  }
}

async function writeRates(trx: Tx, ruleId: bigint, rates: { label: string; rate: string }[]) {
  await trx.deleteFrom("tax_rate").where("tax_rule_id", "=", ruleId).execute();
  if (rates.length === 0) return;
  await trx
    .insertInto("tax_rate")
    .values(rates.map((r, position) => ({ tax_rule_id: ruleId, position, label: r.label, rate: r.rate })))
    .execute();
}

/**
 * A rule's country must be one a customer can have (customers.ts takes assigned ISO 3166-1 codes only): a rule
 * for "UK" or "XX" matched no customer, and its taxes were silently never charged. Checked when a country is
 * set, so a rule stored before 2026-12-06 with such a code still reads and saves until its country changes.
 */
function assertRuleCountry(country: string | null | undefined): void {
  if (country && !isAssignedCountryCode(country))
    throw ServiceError.validation(
      "country",
      `${country} is not an assigned ISO 3166-1 alpha-2 country code (the United Kingdom is GB); a rule for it would match no customer`,
    );
}

export const createTaxRule = defineVerb(TaxRuleCreate, async ({ ctx, input }): Promise<TaxRule> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  assertRuleCountry(input.country);
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    await assertPlaceFree(trx, input);
    const { rates, ...rule } = input;
    const now = ctx.now();
    const row = await trx
      .insertInto("tax_rule")
      .values({ ...rule, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `tax rule ${input.name}`));
    await writeRates(trx, row.id, rates);
    const after = await loadRule(trx, row.id, false);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "tax_rule",
      entityId: String(row.id),
      before: null,
      after,
    });
    return after;
  });
});

export const getTaxRule = defineVerb(IdParams, async ({ ctx, input }): Promise<TaxRule> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return loadRule(ctx.db, input.id, false);
});

export const listTaxRules = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<TaxRule>> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const page = await fetchPage(
    ctx.db.selectFrom("tax_rule"),
    input,
    (f) => f.selectAll().orderBy("id"),
    (r) => r,
  );
  const rates = await ratesOf(
    ctx.db,
    page.data.map((r) => r.id),
  );
  return { ...page, data: page.data.map((r) => presentTaxRule(r, rates)) };
});

export const updateTaxRule = defineVerb(
  IdParams.extend({ patch: TaxRuleUpdate }),
  async ({ ctx, input }): Promise<TaxRule> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    return withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      const before = await loadRule(trx, input.id, true);
      const { rates, ...patch } = input.patch;
      if (patch.country !== before.country) assertRuleCountry(patch.country);
      const merged = { ...before, ...patch };
      if (merged.region && !merged.country)
        throw ServiceError.validation("region", "a region needs a country");
      await assertPlaceFree(trx, merged, input.id);
      await trx
        .updateTable("tax_rule")
        .set({ ...patch, updated_at: ctx.now() })
        .where("id", "=", input.id)
        .execute()
        .catch((e) => mapDbError(e, `tax rule ${input.id}`));
      if (rates !== undefined) await writeRates(trx, input.id, rates);
      const after = await loadRule(trx, input.id, false);
      await recordAudit(trx, ctx, {
        action: "update",
        entity: "tax_rule",
        entityId: String(input.id),
        before,
        after,
      });
      return after;
    });
  },
);

export const deleteTaxRule = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  await withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const before = await loadRule(trx, input.id, true);
    const user = await trx
      .selectFrom("customer")
      .select("id")
      .where("tax_rule_id", "=", input.id)
      .executeTakeFirst();
    if (user)
      throw new ServiceError("CONFLICT", `tax rule ${input.id} is assigned to customers; unassign it first`);
    await trx
      .deleteFrom("tax_rule")
      .where("id", "=", input.id)
      .execute()
      .catch((e) => mapDbError(e, `tax rule ${input.id}`));
    await recordAudit(trx, ctx, {
      action: "delete",
      entity: "tax_rule",
      entityId: String(input.id),
      before,
      after: null,
    });
  });
});
