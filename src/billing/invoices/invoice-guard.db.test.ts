import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { INVOICE_MUTABLE_COLUMNS } from "../../db/migrations/027-invoice-reissue.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";

// The database's own guard on issued invoices (migration 017): three triggers whose conditions PostgreSQL
// evaluates, so a payment's status update runs no trigger function at all. What they allow and refuse
// is what migration 013's single guard did; these tests pin both sides on both databases.

let handle: DatabaseHandle;
let issued: string;
beforeAll(async () => {
  handle = await createTestDatabase();
  const [customerId] = await createCustomers(handle, [{ email: "guard@example.com" }]);
  const ids = await issueInvoices(handle.db, [{ customerId: customerId!, total: 1000n }]);
  issued = ids[0]!;
});
afterAll(async () => handle?.close());

const update = (set: string) =>
  sql.raw(`UPDATE invoice SET ${set} WHERE id = '${issued}'`).execute(handle.db);

describe("the invoice guard", () => {
  it("watches every column for content changes except those that may change after issue", async () => {
    const rows = await sql<{ name: string; guarded: boolean }>`
      SELECT a.attname AS name,
        a.attnum = ANY ((SELECT t.tgattr FROM pg_trigger t
                         WHERE t.tgrelid = 'invoice'::regclass AND t.tgname = 'invoice_guard_2_content')::int2[]) AS guarded
      FROM pg_attribute a
      WHERE a.attrelid = 'invoice'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`.execute(handle.db);
    const unguarded = rows.rows.filter((r) => !r.guarded).map((r) => r.name);
    // A column added to invoice after migration 017 lands here until the trigger is rebuilt to cover it.
    expect(unguarded.sort()).toEqual([...INVOICE_MUTABLE_COLUMNS].sort());
    expect(rows.rows.length).toBeGreaterThan(INVOICE_MUTABLE_COLUMNS.length + 20);
  });

  it("lets an issued invoice move along the allowed states and records payment fields", async () => {
    await update(`status = 'partially_paid', updated_at = now()`);
    await update(`status = 'paid', paid_amount = 1000, paid_reference = 'r1', updated_at = now()`);
    await update(`status = 'finalized'`);
    // Naming a content column with its own value changes nothing, so it is allowed.
    await update(`total = total, customer_name = customer_name`);
    const row = await handle.db
      .selectFrom("invoice")
      .select(["status", "total"])
      .where("id", "=", issued)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "finalized", total: 1000n });
  });

  it("refuses a content change, a transition outside the list, and a delete", async () => {
    await expect(update(`total = total + 1`)).rejects.toThrow(/its content cannot change/);
    await expect(update(`customer_email = 'someone@else.example'`)).rejects.toThrow(
      /its content cannot change/,
    );
    await expect(update(`status = 'draft', number = NULL`)).rejects.toThrow(
      /cannot go from finalized to draft/,
    );
    await expect(sql.raw(`DELETE FROM invoice WHERE id = '${issued}'`).execute(handle.db)).rejects.toThrow(
      /cannot be deleted/,
    );
  });

  it("leaves a draft free to change and to be deleted", async () => {
    const draft = "inv_00000000000d4a7f";
    await sql
      .raw(
        `INSERT INTO invoice SELECT (jsonb_populate_record(NULL::invoice, to_jsonb(i) || jsonb_build_object(
           'id', '${draft}', 'status', 'draft', 'number', NULL, 'number_sequence', NULL, 'number_value', NULL,
           'period', '1899-01', 'paid_amount', NULL, 'paid_reference', NULL))).* FROM invoice i WHERE i.id = '${issued}'`,
      )
      .execute(handle.db);
    await sql.raw(`UPDATE invoice SET customer_name = 'Renamed' WHERE id = '${draft}'`).execute(handle.db);
    await sql.raw(`DELETE FROM invoice WHERE id = '${draft}'`).execute(handle.db);
  });
});
