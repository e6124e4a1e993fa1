import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema.ts";

/**
 * The three customers the reconcile tests hold SolusIO's users against (ok@, odd-id@ and odd-mail@example.com;
 * each test answers a user of its own for each), written straight to the table. Their ids, in that order.
 */
export async function insertReconciledCustomers(db: Kysely<Database>): Promise<number[]> {
  const ids: number[] = [];
  for (const email of ["ok@example.com", "odd-id@example.com", "odd-mail@example.com"]) {
    const row = await db
      .insertInto("customer")
      .values({ email, name: "", status: "active", country: "DE", currency_code: "EUR", tax_exempt: false })
      .returning("id")
      .executeTakeFirstOrThrow();
    ids.push(Number(row.id));
  }
  return ids;
}
