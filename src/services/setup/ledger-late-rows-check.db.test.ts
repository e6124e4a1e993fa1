import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { interleaved } from "../../billing/payments/testing/late-rows-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { LATE_ROWS_CUSTOMERS_NAMED, lateRowsCheck } from "./ledger-late-rows-check.ts";

// The doctor's statement late rows line names the customers whose statement pages are off: a few, then how
// many more. Until 2026-12-07 it named every one, a line as long as the old instance had been writing.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

describe("the doctor's statement late rows line", () => {
  it("names the first customers with rows missing and says how many more", async () => {
    const customers: bigint[] = [];
    for (let i = 0; i < LATE_ROWS_CUSTOMERS_NAMED + 3; i++)
      customers.push((await interleaved(handle, `late-doctor-${i}@example.com`)).customer);
    const check = await lateRowsCheck(handle.db);
    expect(check).toMatchObject({ name: "statement late rows", ok: false });
    const named = customers.slice(0, LATE_ROWS_CUSTOMERS_NAMED).map(String).join(", ");
    expect(check.detail).toContain(`${customers.length} balance row(s)`);
    expect(/customer\(s\) (.*?) show/.exec(check.detail)?.[1]).toBe(`${named} and 3 more`);
  });
});
