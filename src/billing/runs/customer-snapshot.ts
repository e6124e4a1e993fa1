import type { Tx } from "../../kernel/context.ts";

/** The customer details an invoice keeps as they were when it was made. */
export interface CustomerSnapshot {
  name: string;
  email: string;
  country: string;
  region: string | null;
}

/** Every customer, by id (= the billing_user_id SolusIO reports). */
export async function loadCustomerSnapshots(db: Tx): Promise<Map<bigint, CustomerSnapshot>> {
  const rows = await db.selectFrom("customer").select(["id", "name", "email", "country", "region"]).execute();
  return new Map(
    rows.map((r) => [r.id, { name: r.name, email: r.email, country: r.country, region: r.region }]),
  );
}
