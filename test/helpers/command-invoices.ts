import { issueInvoices } from "../../src/billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../src/billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";

/** An issued invoice as a command names it: by its id or by its number. */
export interface NamedInvoice {
  id: string;
  number: string;
}

/**
 * One customer per e-mail, each with an issued invoice of 5.00 USD, in the commands' database. In number
 * order, which is the e-mails' order.
 */
export async function issuedInvoicesIn(handle: DatabaseHandle, emails: string[]): Promise<NamedInvoice[]> {
  const customers = await createCustomers(
    handle,
    emails.map((email) => ({ email })),
  );
  const ids = await issueInvoices(
    handle.db,
    customers.map((customerId) => ({ customerId, total: 500n })),
  );
  const rows = await handle.db
    .selectFrom("invoice")
    .select(["id", "number"])
    .where("id", "in", ids)
    .orderBy("number")
    .execute();
  return rows.map((r) => ({ id: r.id, number: r.number! }));
}
