import { issueInvoices } from "../../src/billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../src/billing/testing/billing-fixtures.ts";
import { openDatabase } from "../../src/db/open-database.ts";

/** An issued invoice as a command names it: by its id or by its number. */
export interface NamedInvoice {
  id: string;
  number: string;
}

/**
 * One customer per e-mail, each with an issued invoice of 5.00 USD, in the embedded database at `dataDir`
 * (closed again, so that a command can open it). In number order, which is the e-mails' order.
 */
export async function issuedInvoicesIn(dataDir: string, emails: string[]): Promise<NamedInvoice[]> {
  const handle = await openDatabase({ dataDir });
  try {
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
  } finally {
    await handle.close();
  }
}
