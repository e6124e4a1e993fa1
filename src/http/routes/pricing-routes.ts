import { z } from "zod";
import {
  ConversionQuery,
  ConversionTable,
  PlanTable,
  PlanTableQuery,
  priceConversion,
  pricePlans,
} from "../../services/pricing/price-calculator.ts";
import { getTokenPricing } from "../../services/pricing/get-token-pricing.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { AuditLogEntry, AuditLogQuery, listAuditLog } from "../../services/audit-log/list-audit-log.ts";
import { defineRoute } from "../route.ts";

export const pricingRoutes = [
  defineRoute({
    method: "GET",
    url: "/api/v1/pricing/conversion",
    tag: "pricing",
    summary: "Conversion scheme: what 1 … 10,000 tokens cost in each currency (seed step 1)",
    query: ConversionQuery,
    response: ConversionTable,
    handler: ({ ctx, query }) => priceConversion({ ctx, input: query }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/pricing/plans",
    tag: "pricing",
    summary: "Plan table: aggregated month (×744) and a suggested round monthly price (seed step 2)",
    query: PlanTableQuery,
    response: PlanTable,
    handler: ({ ctx, query }) => pricePlans({ ctx, input: query }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/customers/{id}/token-pricing",
    tag: "pricing",
    summary: "What GetTokenPricing answers for this customer (uncached)",
    params: IdParams,
    response: z.object({}).passthrough(),
    handler: ({ ctx, params }) => getTokenPricing({ ctx, input: { customerId: params.id } }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/audit-log",
    tag: "audit-log",
    summary: "Every change made through the API: who, when, what, before and after (newest first)",
    query: AuditLogQuery,
    response: z.array(AuditLogEntry),
    paged: "cursor",
    handler: ({ ctx, query }) => listAuditLog({ ctx, input: query }),
  }),
];
