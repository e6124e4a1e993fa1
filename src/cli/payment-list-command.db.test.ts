import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { withRollback } from "../../test/helpers/with-rollback.ts";
import type { Payment } from "../billing/payments/payment-schemas.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { type PaymentListRequest, paymentPages, walkPayments } from "./payment-list-command.ts";

// `payments list` walks the list by cursor, 500 payments a call, to its end or to --limit: more payments
// than one page holds come out once each, newest first, under the API's filters.

let handle: TestDatabase;
/** Every seeded payment's id, newest first, as the list orders them (paid_at, then id, descending). */
let newestFirst: string[];

beforeAll(async () => {
  handle = await createTestDatabase();
  const customer = await sql<{ id: string }>`
    INSERT INTO customer (email, name, country, currency_code) VALUES ('walk@payments.test', 'Walk', 'US', 'USD')
    RETURNING id::text AS id`.execute(handle.db);
  const id = customer.rows[0]!.id;
  // 1,101 payments: three calls of 500; every seventh paid at the same instant as the one before, so the
  // cursor's tie on paid_at is crossed, and every third by bank transfer.
  await sql
    .raw(`
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, paid_at)
    SELECT 'pay_' || to_hex(n), ${id}, 'USD', 100 + n,
      CASE WHEN n % 3 = 0 THEN 'bank_transfer' ELSE 'manual' END, 'W-' || n,
      timestamptz '2026-11-01 00:00:00+00' + ((n - (n % 7 = 0)::int) * interval '1 minute')
    FROM generate_series(1, 1101) AS n`)
    .execute(handle.db);
  const rows = await handle.db
    .selectFrom("payment")
    .select("id")
    .orderBy("paid_at", "desc")
    .orderBy("id", "desc")
    .execute();
  newestFirst = rows.map((r) => r.id);
}, 120_000);
/** The walk's pages gathered: what the command prints, in order. */
async function walkAll(
  ctx: ServiceContext,
  query: PaymentListRequest["filters"],
  limit?: number,
): Promise<{ payments: Payment[]; more: boolean }> {
  const payments: Payment[] = [];
  const { count, more } = await walkPayments(
    paymentPages(ctx, query),
    async (page) => {
      payments.push(...page);
    },
    limit,
  );
  expect(count).toBe(payments.length);
  return { payments, more };
}

afterAll(async () => {
  await handle?.close();
});

describe("payments list's walk", () => {
  it("reads every payment once, newest first, past one page", async () => {
    const walked = await withRollback(handle.db, (ctx) => walkAll(ctx, {}));
    expect(walked.more).toBe(false);
    expect(walked.payments.map((p) => p.id)).toEqual(newestFirst);
    expect(newestFirst).toHaveLength(1101);
  });

  it("stops at --limit, and says whether more match", async () => {
    const ids = async (limit: number) =>
      withRollback(handle.db, async (ctx) => {
        const r = await walkAll(ctx, {}, limit);
        return { ids: r.payments.map((p) => p.id), more: r.more };
      });
    expect(await ids(1)).toEqual({ ids: newestFirst.slice(0, 1), more: true });
    expect(await ids(501)).toEqual({ ids: newestFirst.slice(0, 501), more: true });
    // A list that ends exactly at the limit has no more.
    expect(await ids(1101)).toEqual({ ids: newestFirst, more: false });
    expect(await ids(5000)).toEqual({ ids: newestFirst, more: false });
  });

  it("applies the API's filters on every page", async () => {
    const walked = await withRollback(handle.db, (ctx) =>
      walkAll(ctx, { method: "bank_transfer", currency: "usd", received_from: "2026-11-01" }),
    );
    expect(walked.payments.map((p) => p.id)).toEqual(
      newestFirst.filter((id) => Number.parseInt(id.slice(4), 16) % 3 === 0),
    );
    expect(walked.payments).toHaveLength(367);
  });

  it("refuses --to before --from in the API's words", async () => {
    await expect(
      withRollback(handle.db, (ctx) =>
        walkAll(ctx, { received_from: "2026-11-02", received_to: "2026-11-01" }),
      ),
    ).rejects.toThrow("received_to: must be on or after received_from (2026-11-02)");
  });
});
