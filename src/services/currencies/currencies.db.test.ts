import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import {
  auditRows,
  customerInput,
  insertInvoice,
  NOW,
  NOW_ISO,
  tableRows,
} from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createCustomer } from "../customers/customers.ts";
import {
  type CurrencyCreate,
  createCurrency,
  deleteCurrency,
  getCurrency,
  listCurrencies,
  MAX_TOKEN_UNIT_COST,
  updateCurrency,
} from "./currencies.ts";

// The currency verbs called directly, each test in a rolled-back transaction: values, audit rows, refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const yen: CurrencyCreate = {
  code: "JPY",
  exponent: 0,
  token_unit_cost: "0.123456789012",
  display_prefix: "¥",
  display_suffix: "",
  thousands_separator: ",",
  decimals_separator: ".",
};

describe("createCurrency", () => {
  it("stores the currency with its exact unit cost and audits currency.create", async () => {
    await withRollback(handle.db, async (ctx) => {
      const created = await createCurrency({ ctx, input: yen });
      expect(created).toEqual({ ...yen, created_at: NOW_ISO, updated_at: NOW_ISO });
      expect(await getCurrency({ ctx, input: { code: "JPY" } })).toEqual(created);
      expect(await auditRows(ctx.db)).toEqual([
        {
          at: NOW,
          actor: "system:test",
          request_id: null,
          action: "currency.create",
          entity: "currency",
          entity_id: "JPY",
          before: null,
          after: created,
        },
      ]);
    });
  });

  it("refuses a code that exists (CONFLICT) and writes no audit row", async () => {
    await withRollback(handle.db, async (ctx) => {
      await expect(createCurrency({ ctx, input: { ...yen, code: "USD" } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: "currency USD already exists",
      });
      expect(await auditRows(ctx.db)).toEqual([]);
      expect((await getCurrency({ ctx, input: { code: "USD" } })).token_unit_cost).toBe("0.001");
    });
  });
});

describe("updateCurrency", () => {
  it("changes only what the patch names, and audits before and after with the caller's request id", async () => {
    await withRollback(handle.db, async (ctx) => {
      const created = await createCurrency({ ctx, input: yen });
      const later = {
        ...ctx,
        now: () => new Date("2026-12-01T00:00:00Z"),
        actor: actors.adminKey("key_0123456789ab", "admin"),
        requestId: "req-7",
      };
      const updated = await updateCurrency({
        ctx: later,
        input: { code: "JPY", patch: { token_unit_cost: "0.15", display_suffix: " JPY" } },
      });
      expect(updated).toEqual({
        ...created,
        token_unit_cost: "0.15",
        display_suffix: " JPY",
        updated_at: "2026-12-01T00:00:00.000Z",
      });
      const audit = (await auditRows(ctx.db))[1];
      expect(audit).toEqual({
        at: new Date("2026-12-01T00:00:00Z"),
        actor: "apikey:key_0123456789ab",
        request_id: "req-7",
        action: "currency.update",
        entity: "currency",
        entity_id: "JPY",
        before: created,
        after: updated,
      });
    });
  });

  it("refuses an unknown code (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await expect(
        updateCurrency({ ctx, input: { code: "XXX", patch: { exponent: 3 } } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: "currency XXX not found" });
      expect(await auditRows(ctx.db)).toEqual([]);
    });
  });

  it("validates its own input: a bad patch is VALIDATION naming the field, and changes nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      await expect(
        updateCurrency({ ctx, input: { code: "EUR", patch: { decimals_separator: "" } } }),
      ).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "patch.decimals_separator", message: "must not be empty" }],
      });
      expect((await getCurrency({ ctx, input: { code: "EUR" } })).decimals_separator).toBe(".");
      expect(await auditRows(ctx.db)).toEqual([]);
    });
  });

  it("refuses a unit cost beyond what the books hold, and takes the largest they do", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const token_unit_cost of ["1000000000000000000", "9999999999999999999999999999999999999999"]) {
        await expect(
          updateCurrency({ ctx, input: { code: "EUR", patch: { token_unit_cost } } }),
        ).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [{ field: "patch.token_unit_cost", message: `must be at most ${MAX_TOKEN_UNIT_COST}` }],
        });
        await expect(createCurrency({ ctx, input: { ...yen, token_unit_cost } })).rejects.toMatchObject({
          code: "VALIDATION",
        });
      }
      expect(await auditRows(ctx.db)).toEqual([]);
      const largest = await updateCurrency({
        ctx,
        input: { code: "EUR", patch: { token_unit_cost: MAX_TOKEN_UNIT_COST } },
      });
      expect(largest.token_unit_cost).toBe(MAX_TOKEN_UNIT_COST);
    });
  });
});

describe("updateCurrency: what would change amounts already written", () => {
  it("refuses a new exponent once a draft invoice is in the currency (CONFLICT on exponent)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const customer = await createCustomer({ ctx, input: customerInput({ currency: "EUR" }) });
      await insertInvoice(ctx.db, BigInt(customer.id));
      await expect(
        updateCurrency({ ctx, input: { code: "EUR", patch: { exponent: 0 } } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        issues: [
          {
            field: "exponent",
            message: expect.stringMatching(/^cannot change from 2 to 0 .*EUR already has invoices,/),
          },
        ],
      });
      expect((await getCurrency({ ctx, input: { code: "EUR" } })).exponent).toBe(2);
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual(["customer.create"]);
      // The console's form sends every field: the same exponent with other changes is no change of it.
      const kept = await updateCurrency({
        ctx,
        input: { code: "EUR", patch: { exponent: 2, display_suffix: " EUR" } },
      });
      expect([kept.exponent, kept.display_suffix]).toEqual([2, " EUR"]);
    });
  });

  it("refuses a new exponent once a payment is in the currency, and allows it in a currency holding nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      const customer = await createCustomer({ ctx, input: customerInput({ currency: "USD" }) });
      await sql`INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, paid_at)
        VALUES ('pay_1', ${BigInt(customer.id)}, 'USD', 514, 'manual', 'r-1', ${NOW})`.execute(ctx.db);
      await expect(
        updateCurrency({ ctx, input: { code: "USD", patch: { exponent: 0 } } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        issues: [{ field: "exponent", message: expect.stringContaining("USD already has payments,") }],
      });
      // EUR has a customer but no amounts: its exponent may still change.
      await createCustomer({ ctx, input: customerInput({ currency: "EUR", email: "bo@example.com" }) });
      expect((await updateCurrency({ ctx, input: { code: "EUR", patch: { exponent: 3 } } })).exponent).toBe(
        3,
      );
    });
  });

  it("refuses separators that make amounts ambiguous, naming the field, and changes nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      const refusals: [Partial<CurrencyCreate>, string][] = [
        [{ thousands_separator: ".", decimals_separator: "." }, "decimals_separator"],
        [{ decimals_separator: "1" }, "decimals_separator"],
        [{ decimals_separator: "" }, "decimals_separator"],
        [{ thousands_separator: "0" }, "thousands_separator"],
        [{ thousands_separator: "٣" }, "thousands_separator"],
      ];
      for (const [display, field] of refusals) {
        await expect(createCurrency({ ctx, input: { ...yen, ...display } })).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [{ field }],
        });
      }
      // EUR is written 1,234.50: a patch naming one separator is checked against the other as stored.
      for (const [patch, field] of [
        [{ decimals_separator: "," }, "decimals_separator"],
        [{ thousands_separator: "." }, "thousands_separator"],
        [{ decimals_separator: "5" }, "patch.decimals_separator"],
      ] as const) {
        await expect(updateCurrency({ ctx, input: { code: "EUR", patch } })).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [{ field }],
        });
      }
      expect(await auditRows(ctx.db)).toEqual([]);
      const swapped = await updateCurrency({
        ctx,
        input: { code: "EUR", patch: { thousands_separator: ".", decimals_separator: "," } },
      });
      expect([swapped.thousands_separator, swapped.decimals_separator]).toEqual([".", ","]);
      const spaced = await createCurrency({ ctx, input: { ...yen, thousands_separator: "" } });
      expect(spaced.thousands_separator).toBe("");
    });
  });
});

describe("deleteCurrency", () => {
  it("deletes an unused currency and audits currency.delete", async () => {
    await withRollback(handle.db, async (ctx) => {
      const created = await createCurrency({ ctx, input: yen });
      await deleteCurrency({ ctx, input: { code: "JPY" } });
      await expect(getCurrency({ ctx, input: { code: "JPY" } })).rejects.toMatchObject({ code: "NOT_FOUND" });
      const audit = (await auditRows(ctx.db))[1];
      expect([audit?.action, audit?.entity_id, audit?.before, audit?.after]).toEqual([
        "currency.delete",
        "JPY",
        created,
        null,
      ]);
    });
  });

  it("refuses a currency a customer uses (CONFLICT) and an unknown one (NOT_FOUND)", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createCustomer({ ctx, input: customerInput({ currency: "EUR" }) });
      await expect(deleteCurrency({ ctx, input: { code: "EUR" } })).rejects.toMatchObject({
        code: "CONFLICT",
        message: "currency EUR is used by customers and cannot be deleted",
      });
      await expect(deleteCurrency({ ctx, input: { code: "XXX" } })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "currency XXX not found",
      });
      expect((await getCurrency({ ctx, input: { code: "EUR" } })).code).toBe("EUR");
      expect((await auditRows(ctx.db)).map((a) => a.action)).toEqual(["customer.create"]);
    });
  });
});

describe("listCurrencies", () => {
  it("lists by code, a page at a time", async () => {
    await withRollback(handle.db, async (ctx) => {
      await createCurrency({ ctx, input: yen });
      const all = await listCurrencies({ ctx, input: { page: 1, per_page: 50 } });
      expect(all.data.map((c) => [c.code, c.token_unit_cost])).toEqual([
        ["EUR", "0.00091"],
        ["JPY", "0.123456789012"],
        ["USD", "0.001"],
      ]);
      const last = await listCurrencies({ ctx, input: { page: 2, per_page: 2 } });
      expect([last.data.map((c) => c.code), last.meta]).toEqual([
        ["USD"],
        { page: 2, per_page: 2, total: 3, last_page: 2 },
      ]);
    });
  });
});

it("leaves the database as it was: the currency and its audit row are rolled back", async () => {
  const before = [await tableRows(handle.db, "currency"), await tableRows(handle.db, "audit_log")];
  await withRollback(handle.db, async (ctx) => {
    await createCurrency({ ctx, input: yen });
    expect((await tableRows(ctx.db, "currency")).length).toBe(before[0]!.length + 1);
    expect((await tableRows(ctx.db, "audit_log")).length).toBe(before[1]!.length + 1);
  });
  expect([await tableRows(handle.db, "currency"), await tableRows(handle.db, "audit_log")]).toEqual(before);
});
