import type { ServiceContext } from "../kernel/context.ts";
import { ServiceError } from "../kernel/errors.ts";

// Every command's --invoice takes what a person has at hand: the id (inv_…) or the number printed on the
// invoice. One reading, so that `payments record` takes what `invoices void` takes. The invoices' verb is
// imported when a number is looked up: the help words below are read by every group's --help.

/** What an --invoice option's help says it takes. */
export const INVOICE_ARGUMENT_HELP = "its id (inv_…) or its number (INV-2026-000001)";

/**
 * The id of the invoice `--invoice` names: an id (`inv_…`, checked by the verb) as it is, anything else as a
 * number. The number format is a setting (INVOICE_NUMBER_FORMAT), so no other shape is assumed.
 */
export async function invoiceIdOf(ctx: ServiceContext, given: string): Promise<string> {
  if (given.startsWith("inv_")) return given;
  const { listInvoices } = await import("../billing/invoices/list-invoices.ts");
  const page = await listInvoices({ ctx, input: { page: 1, per_page: 1, number: given } });
  const found = page.data[0];
  if (!found) throw ServiceError.notFound(`invoice ${given}`);
  return found.id;
}
