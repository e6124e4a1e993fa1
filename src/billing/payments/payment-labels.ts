import { z } from "zod";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

// What a list of payments shows beside each one: its customer's name and its invoice's number. A payment
// holds only the ids; a page of them is read here with two lookups by primary key, whatever the page's size.

const MAX_IDS = 500; // a page holds at most 100 payments; room for a caller listing more

export const PaymentLabelsInput = z
  .object({
    customer_ids: z.array(z.coerce.bigint().positive()).max(MAX_IDS),
    invoice_ids: z.array(z.string().min(1).max(68)).max(MAX_IDS),
  })
  .strict();

export interface PaymentLabels {
  /** By customer id as text: the customer's name, or its e-mail when it has no name. */
  customers: ReadonlyMap<string, string>;
  /** By invoice id: its number ("Draft" has none, and is left out). */
  invoices: ReadonlyMap<string, string>;
}

/** Names and numbers for the customers and invoices a page of payments refers to; staff only. */
export const paymentLabels = defineVerb(
  PaymentLabelsInput,
  async ({ ctx, input }): Promise<PaymentLabels> => {
    // Staff (and the CLI and system) only: a customer reads other customers' names through no list.
    await requireStaffRole(ctx, ...READ_ROLES);
    const customerIds = [...new Set(input.customer_ids)];
    const invoiceIds = [...new Set(input.invoice_ids)];
    const [customers, invoices] = await Promise.all([
      customerIds.length === 0
        ? []
        : ctx.db
            .selectFrom("customer")
            .select(["id", "name", "email"])
            .where("id", "in", customerIds)
            .execute(),
      invoiceIds.length === 0
        ? []
        : ctx.db
            .selectFrom("invoice")
            .select(["id", "number"])
            .where("id", "in", invoiceIds)
            .where("number", "is not", null)
            .execute(),
    ]);
    return {
      customers: new Map(customers.map((c) => [String(c.id), c.name || c.email])),
      invoices: new Map(invoices.map((i) => [i.id, i.number as string])),
    };
  },
);
