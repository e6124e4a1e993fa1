import type { Selectable } from "kysely";
import { z } from "zod";
import type { CustomerTable } from "../../db/schema.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { cursorParam, totalParam } from "../../kernel/list-cursor.ts";
import { countryCode, currencyCode, id, idFilter, idOut, nullableIdOut } from "../../kernel/schemas.ts";

export const CustomerStatus = z.enum(["active", "locked", "suspended"]);

const limitGroup = z
  .string()
  .min(1)
  .max(200)
  // Which names are allowed is configuration (SOLUSIO_LIMIT_GROUPS), which a schema does not know: the verbs
  // check it (limit-group-choice.ts).
  .meta({
    description:
      "name of a SolusIO limit group from SOLUSIO_LIMIT_GROUPS (exactly; any other name is a 400 naming limit_group); null = the default group",
  });

export const SyncState = z.enum(["pending", "in_sync", "failed", "conflict"]);

export const SyncInfo = z.object({
  state: SyncState,
  error: z.string().nullable().meta({
    description:
      "failed or conflict: why; pending: why the last attempt did not get through (SolusIO answered 5xx or not at all, retried with backoff; or how long SolusIO asked to wait), null before any attempt failed",
  }),
  solusio_user_id: z.number().int().nullable(),
  synced_at: z.string().nullable(),
});

export const CustomerCreate = z
  .object({
    email: z.email({ message: "must be an e-mail address" }).max(254),
    name: z.string().max(200).default(""),
    country: countryCode,
    region: z.string().min(1).max(100).nullable().default(null),
    currency: currencyCode,
    tax_exempt: z.boolean().default(false),
    status: CustomerStatus.default("active"),
    client_group_id: id.nullable().default(null),
    tax_rule_id: id
      .nullable()
      .default(null)
      .meta({ description: "explicit tax rule; null picks by country" }),
  })
  .strict();
export type CustomerCreate = z.output<typeof CustomerCreate>;

export const CustomerUpdate = z
  .object({
    email: z.email({ message: "must be an e-mail address" }).max(254),
    name: z.string().max(200),
    country: countryCode,
    region: z.string().min(1).max(100).nullable(),
    currency: currencyCode.meta({
      description:
        "changes only while the customer has no invoice (draft included), payment or ledger entry in its current currency; 409 naming currency otherwise",
    }),
    tax_exempt: z.boolean(),
    status: CustomerStatus,
    status_reason: z
      .string()
      .trim()
      .max(1000)
      .nullable()
      .meta({ description: "why staff set the status (abuse, a request, …); kept with it" }),
    client_group_id: id.nullable(),
    tax_rule_id: id.nullable(),
    limit_group: limitGroup.nullable(),
  })
  .partial()
  .strict();
export type CustomerUpdate = z.output<typeof CustomerUpdate>;

export const CustomerListQuery = PageQuery.extend({
  cursor: cursorParam,
  total: totalParam,
  email: z
    .string()
    .min(1)
    .max(254)
    .optional()
    .meta({ description: "case-insensitive substring of the e-mail (at most 254 characters)" }),
  search: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .optional()
    .meta({ description: "case-insensitive substring of the name or the e-mail (the console's search box)" }),
  status: CustomerStatus.optional(),
  sync_state: SyncState.optional().meta({ description: "only customers in this sync state" }),
  client_group_id: idFilter("a client group").optional(),
});
export type CustomerListQuery = z.output<typeof CustomerListQuery>;

export const Customer = z.object({
  id: z.number().int().meta({ description: "numeric id; the billing_user_id SolusIO sees" }),
  email: z.string(),
  name: z.string(),
  country: z.string(),
  region: z.string().nullable(),
  currency: z.string(),
  tax_exempt: z.boolean(),
  status: CustomerStatus,
  status_source: z.enum(["staff", "dunning"]).nullable().meta({
    description: "who set the status: staff, or dunning (which lifts only what it set, billing-rules §8)",
  }),
  status_reason: z.string().nullable(),
  client_group_id: z.number().int().nullable(),
  tax_rule_id: z.number().int().nullable(),
  limit_group: z.string().nullable(),
  sync: SyncInfo.meta({ description: "whether SolusIO's user matches this customer" }),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Customer = z.output<typeof Customer>;

export function presentCustomer(row: Selectable<CustomerTable>): Customer {
  return {
    id: idOut(row.id),
    email: row.email,
    name: row.name,
    country: row.country,
    region: row.region,
    currency: row.currency_code,
    tax_exempt: row.tax_exempt,
    status: row.status,
    status_source: row.status_source,
    status_reason: row.status_reason,
    client_group_id: nullableIdOut(row.client_group_id),
    tax_rule_id: nullableIdOut(row.tax_rule_id),
    limit_group: row.limit_group,
    sync: {
      state: row.sync_state,
      error: row.sync_error,
      solusio_user_id: nullableIdOut(row.solusio_user_id),
      synced_at: row.synced_at?.toISOString() ?? null,
    },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
