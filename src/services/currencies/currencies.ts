import type { Selectable } from "kysely";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { z } from "zod";
import type { CurrencyTable } from "../../db/schema.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { mapDbError } from "../../kernel/db-errors.ts";
import { type Page, PageQuery, fetchPage } from "../../kernel/pagination.ts";
import { currencyCode, decimalString } from "../../kernel/schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import {
  assertExponentChangeable,
  assertSeparatorsDiffer,
  decimalsSeparator,
  separatorsDiffer,
  thousandsSeparator,
} from "./currency-rules.ts";

// One service file for the currency resource: its verbs are five short functions over one table, and
// splitting them would spread one idea over five files.

const display = {
  display_prefix: z.string().max(10).default(""),
  display_suffix: z.string().max(10).default(""),
  thousands_separator: thousandsSeparator.default(","),
  decimals_separator: decimalsSeparator.default("."),
};

/** The largest unit cost the column holds (numeric(30, 12)). */
export const MAX_TOKEN_UNIT_COST = "999999999999999999.999999999999";

export const CurrencyCreate = z
  .object({
    code: currencyCode,
    exponent: z
      .number()
      .int()
      .min(0)
      .max(4)
      .meta({ description: "ISO 4217 minor-unit exponent: USD 2, JPY 0" }),
    // numeric(30, 12): at most 18 digits before the point. Beyond that PostgreSQL refuses the value.
    token_unit_cost: decimalString({ maxScale: 12, positive: true, max: MAX_TOKEN_UNIT_COST }),
    ...display,
  })
  .strict()
  .superRefine(separatorsDiffer);
export type CurrencyCreate = z.output<typeof CurrencyCreate>;

// The separators' rule across both fields is checked against the stored row (a patch may name one).
export const CurrencyUpdate = z
  .object({
    exponent: CurrencyCreate.shape.exponent.meta({
      description:
        "ISO 4217 minor-unit exponent; refused (409) once an invoice, payment, credit note or ledger entry is in the currency",
    }),
    token_unit_cost: CurrencyCreate.shape.token_unit_cost,
    display_prefix: z.string().max(10),
    display_suffix: z.string().max(10),
    thousands_separator: thousandsSeparator,
    decimals_separator: decimalsSeparator,
  })
  .partial()
  .strict();
export type CurrencyUpdate = z.output<typeof CurrencyUpdate>;

export const CurrencyParams = z.object({ code: currencyCode });

export const Currency = z.object({
  code: z.string(),
  exponent: z.number().int(),
  token_unit_cost: z.string(),
  display_prefix: z.string(),
  display_suffix: z.string(),
  thousands_separator: z.string(),
  decimals_separator: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Currency = z.output<typeof Currency>;

/** How a currency is written, as stored (a currency row, or the snapshot an invoice keeps) → formatMinor's input. */
export function currencyDisplayOf(c: {
  code: string;
  exponent: number;
  display_prefix: string;
  display_suffix: string;
  thousands_separator: string;
  decimals_separator: string;
}): CurrencyDisplay {
  return {
    code: c.code,
    exponent: c.exponent,
    displayPrefix: c.display_prefix,
    displaySuffix: c.display_suffix,
    thousandsSeparator: c.thousands_separator,
    decimalsSeparator: c.decimals_separator,
  };
}

/** Every currency's display by code: what a report needs to write amounts of several currencies. */
export const currencyDisplays = defineVerb(
  NoInput,
  async ({ ctx }): Promise<Map<string, CurrencyDisplay>> => {
    // Customers see amounts in their currency too (the portal); everyone else reads as staff.
    if (ctx.actor.kind !== "customer") await requireStaffRole(ctx, ...READ_ROLES);
    const rows = await ctx.db.selectFrom("currency").selectAll().execute();
    return new Map(rows.map((c) => [c.code, currencyDisplayOf(c)]));
  },
);

export function presentCurrency(row: Selectable<CurrencyTable>): Currency {
  return {
    code: row.code,
    exponent: row.exponent,
    token_unit_cost: canonicalDecimal(row.token_unit_cost),
    display_prefix: row.display_prefix,
    display_suffix: row.display_suffix,
    thousands_separator: row.thousands_separator,
    decimals_separator: row.decimals_separator,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** numeric(30,12) comes back padded ("0.001000000000"); clients see the canonical form. */
export function canonicalDecimal(value: string): string {
  if (!value.includes(".")) return value;
  return value.replace(/0+$/, "").replace(/\.$/, "");
}

export const createCurrency = defineVerb(CurrencyCreate, async ({ ctx, input }): Promise<Currency> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const exists = await trx
      .selectFrom("currency")
      .select("code")
      .where("code", "=", input.code)
      .executeTakeFirst();
    if (exists) throw new ServiceError("CONFLICT", `currency ${input.code} already exists`);
    const now = ctx.now();
    const row = await trx
      .insertInto("currency")
      .values({ ...input, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `currency ${input.code}`));
    const after = presentCurrency(row);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "currency",
      entityId: row.code,
      before: null,
      after,
    });
    return after;
  });
});

export const getCurrency = defineVerb(CurrencyParams, async ({ ctx, input }): Promise<Currency> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const row = await ctx.db
    .selectFrom("currency")
    .selectAll()
    .where("code", "=", input.code)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`currency ${input.code}`);
  return presentCurrency(row);
});

export const listCurrencies = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<Currency>> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return fetchPage(
    ctx.db.selectFrom("currency"),
    input,
    (f) => f.selectAll().orderBy("code"),
    presentCurrency,
  );
});

export const updateCurrency = defineVerb(
  CurrencyParams.extend({ patch: CurrencyUpdate }),
  async ({ ctx, input }): Promise<Currency> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    return withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      const before = await trx
        .selectFrom("currency")
        .selectAll()
        .where("code", "=", input.code)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw ServiceError.notFound(`currency ${input.code}`);
      assertSeparatorsDiffer(before, input.patch);
      await assertExponentChangeable(trx, before, input.patch.exponent);
      const row = await trx
        .updateTable("currency")
        .set({ ...input.patch, updated_at: ctx.now() })
        .where("code", "=", input.code)
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((e) => mapDbError(e, `currency ${input.code}`));
      const after = presentCurrency(row);
      await recordAudit(trx, ctx, {
        action: "update",
        entity: "currency",
        entityId: input.code,
        before: presentCurrency(before),
        after,
      });
      return after;
    });
  },
);

export const deleteCurrency = defineVerb(CurrencyParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  await withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const before = await trx
      .selectFrom("currency")
      .selectAll()
      .where("code", "=", input.code)
      .executeTakeFirst();
    if (!before) throw ServiceError.notFound(`currency ${input.code}`);
    const user = await trx
      .selectFrom("customer")
      .select("id")
      .where("currency_code", "=", input.code)
      .executeTakeFirst();
    if (user)
      throw new ServiceError("CONFLICT", `currency ${input.code} is used by customers and cannot be deleted`);
    // A customer or invoice that started using the currency meanwhile makes this a CONFLICT, not a 500.
    await trx
      .deleteFrom("currency")
      .where("code", "=", input.code)
      .execute()
      .catch((e) => mapDbError(e, `currency ${input.code}`));
    await recordAudit(trx, ctx, {
      action: "delete",
      entity: "currency",
      entityId: input.code,
      before: presentCurrency(before),
      after: null,
    });
  });
});
