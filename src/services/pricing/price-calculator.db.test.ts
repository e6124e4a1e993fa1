import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { jsonText } from "../../kernel/json.ts";
import { createCurrency } from "../currencies/currencies.ts";
import { priceConversion, pricePlans } from "./price-calculator.ts";

// The price calculator's verbs called directly, each test in a rolled-back transaction: the conversion
// scheme and the plan table over the stored currencies, exactly, and their refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const yen = {
  code: "JPY",
  exponent: 0,
  token_unit_cost: "0.125",
  display_prefix: "¥",
  display_suffix: "",
  thousands_separator: ",",
  decimals_separator: ".",
};

describe("priceConversion", () => {
  it("prices 1 to 10,000 tokens in every currency, the default currency first", async () => {
    await withRollback(handle.db, async (ctx) => {
      const table = await priceConversion({ ctx, input: {} });
      expect(table.currencies).toEqual([
        { code: "USD", token_unit_cost: "0.001" },
        { code: "EUR", token_unit_cost: "0.00091" },
      ]);
      expect(
        table.rows.map((r) => [r.tokens, ...r.amounts.map((a) => [a.code, a.amount, a.display])]),
      ).toEqual([
        [1n, ["USD", "0.001", "$0.00100"], ["EUR", "0.00091", "€0.00091"]],
        [10n, ["USD", "0.01", "$0.01000"], ["EUR", "0.0091", "€0.00910"]],
        [100n, ["USD", "0.1", "$0.10000"], ["EUR", "0.091", "€0.09100"]],
        [1000n, ["USD", "1", "$1.00000"], ["EUR", "0.91", "€0.91000"]],
        [10000n, ["USD", "10", "$10.00000"], ["EUR", "9.1", "€9.10000"]],
      ]);
      const eurFirst = { ...ctx, config: parseConfig({ LOG_LEVEL: "silent", DEFAULT_CURRENCY: "EUR" }) };
      const codes = (await priceConversion({ ctx: eurFirst, input: {} })).currencies.map((c) => c.code);
      expect(codes).toEqual(["EUR", "USD"]);
    });
  });

  it("prices only the currencies asked for, including one created in the same transaction", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createCurrency({ ctx, input: yen });
      const table = await priceConversion({ ctx, input: { currency: " jpy ,eur" } });
      expect(table.currencies.map((c) => c.code)).toEqual(["EUR", "JPY"]);
      expect(table.rows[4]!.amounts).toEqual([
        { code: "EUR", amount: "9.1", display: "€9.10000" },
        { code: "JPY", amount: "1250", display: "¥1,250.00000" },
      ]);
    });
  });

  it("refuses unknown currencies, and an empty currency table (VALIDATION)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await expect(priceConversion({ ctx, input: { currency: "USD,XYZ,ABC" } })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "currency", message: "unknown currency XYZ, ABC" }],
      });
      // `pricing conversion --currency USD,,EUR` said "unknown currency " (naming nothing).
      await expect(priceConversion({ ctx, input: { currency: "USD,,EUR" } })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "currency", message: 'item 2 is empty (got "USD,,EUR")' }],
      });
      await ctx.db.deleteFrom("currency").execute();
      await expect(priceConversion({ ctx, input: {} })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "currency", message: "no currencies are configured; create one first" }],
      });
    });
  });
});

describe("pricePlans", () => {
  it("gives aggregated and suggested monthly prices, exact and displayed", async () => {
    await withRollback(handle.db, async (ctx) => {
      const table = await pricePlans({ ctx, input: { tph: "7, 14", currency: "eur" } });
      expect(table).toEqual({
        currency: "EUR",
        token_unit_cost: "0.00091",
        hours_in_month: 744,
        rows: [
          {
            tokens_per_hour: 7n,
            aggregated_tokens: 5208n,
            aggregated_price: "4.73928",
            aggregated_price_display: "€4.74",
            suggested_tokens_per_month: 5000n,
            suggested_price: "4.55",
            suggested_price_display: "€4.55",
          },
          {
            tokens_per_hour: 14n,
            aggregated_tokens: 10416n,
            aggregated_price: "9.47856",
            aggregated_price_display: "€9.48",
            suggested_tokens_per_month: 10000n,
            suggested_price: "9.1",
            suggested_price_display: "€9.10",
          },
        ],
      });
      const usd = await pricePlans({ ctx, input: { tph: "0" } });
      expect([usd.currency, usd.rows[0]!.suggested_price_display]).toEqual(["USD", "$0.00"]);
    });
  });

  it("answers a month beyond 2^53 exactly, up to the largest that PostgreSQL's bigint can store", async () => {
    await withRollback(handle.db, async (ctx) => {
      // 12,397,005,425,880,075 × 744 = 9,223,372,036,854,775,800: 7 below 2^63 − 1.
      const table = await pricePlans({ ctx, input: { tph: "12106450611212,12397005425880075" } });
      expect(
        table.rows.map((r) => [r.tokens_per_hour, r.aggregated_tokens, r.suggested_tokens_per_month]),
      ).toEqual([
        [12106450611212n, 9007199254741728n, 9000000000000000n],
        [12397005425880075n, 9223372036854775800n, 9000000000000000000n],
      ]);
      expect(table.rows[1]!.aggregated_price).toBe("9223372036854775.8");
      expect(jsonText(table.rows[1]!.aggregated_tokens)).toBe('"9223372036854775800"');
    });
  });

  it("refuses a tokens per hour whose month cannot be stored, naming tph (QA: answered 6.862188795419953e+21)", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const [tph, got] of [
        ["12397005425880076", "12397005425880076"],
        ["7,9223372036854775807", "9223372036854775807"],
      ] as const) {
        await expect(pricePlans({ ctx, input: { tph } })).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [
            {
              field: "tph",
              message: `must be at most 12397005425880075 (got ${got}): its month (× 744) must stay within 9223372036854775807 tokens, what a plan price can hold`,
            },
          ],
        });
      }
    });
  });

  it("refuses token counts that are not whole, and an unknown currency (VALIDATION)", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const [tph, message] of [
        ["7.5", 'must be a whole number of tokens (got "7.5"); tokens are integers in SolusIO'],
        ["7,-1", 'must not be negative (got "-1")'],
        ["", "must list at least one token count, e.g. 7,14,21,28"],
      ]) {
        await expect(pricePlans({ ctx, input: { tph: tph! } })).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [{ field: "tph", message }],
        });
      }
      await expect(pricePlans({ ctx, input: { tph: "7", currency: "XYZ" } })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "currency", message: "unknown currency XYZ" }],
      });
    });
  });
});

it("leaves the database as it was: a currency created to price is rolled back", async () => {
  const before = await tableRows(handle.db, "currency");
  await withRollback(handle.db, async (ctx) => {
    await createCurrency({ ctx, input: yen });
    expect((await pricePlans({ ctx, input: { tph: "8", currency: "JPY" } })).rows[0]!.aggregated_price).toBe(
      "744",
    );
  });
  expect(await tableRows(handle.db, "currency")).toEqual(before);
  await withRollback(handle.db, async (ctx) => {
    await expect(pricePlans({ ctx, input: { tph: "8", currency: "JPY" } })).rejects.toMatchObject({
      code: "VALIDATION",
    });
  });
});
