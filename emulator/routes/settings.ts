import { z } from "zod";
import { BillingIntegrationInput, mergeBillingIntegration } from "../billing/billing-integration.ts";
import { fieldError } from "../errors.ts";
import { data, type Route } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { presentSettings } from "../present/settings.ts";
import { IdInput } from "../schemas.ts";
import { findLimitGroup } from "../state/state.ts";

// GET/PATCH settings (solusio-api.md §7). PATCH keeps what it is sent and GET returns it: every `features`
// boolean (the Go SDK always sends all of them; unknown ones are kept too), the default limit group, the billing
// integration, and any other top-level key (hostname, mail, theme, ...: stored and echoed, never acted on) [OURS].
// Whether SolusIO merges nested objects is unverified: here `features` merges by key, `billing_integration`
// merges drivers by name (billing/billing-integration.ts), any other key is replaced whole.
// The default limit group may be `limit_group: <id>`, `limit_group: {id, ...}` (the Go SDK sends the whole
// LimitGroup) or `limit_group_id: <id>`; null clears it [OURS].

const SettingsPatch = z.looseObject({
  features: z.record(z.string().min(1).max(64), z.boolean()).optional(),
  limit_group: z.union([IdInput, z.object({ id: IdInput }), z.null()]).optional(),
  limit_group_id: IdInput.nullable().optional(),
  billing_integration: BillingIntegrationInput.nullable().optional(),
});

const HANDLED = new Set(["features", "limit_group", "limit_group_id", "billing_integration"]);

export const settingsRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/settings",
    access: "admin",
    handle: (ctx) => data(presentSettings(ctx.em.state)),
  },
  {
    method: "PATCH",
    path: "/api/v1/settings",
    access: "admin",
    handle: (ctx) => {
      const body = parseInput(SettingsPatch, ctx.body);
      const settings = ctx.em.state.settings;
      // Validate everything before changing anything: a 422 leaves the settings as they were.
      const groupInput = body.limit_group_id !== undefined ? body.limit_group_id : body.limit_group;
      const groupId =
        groupInput === undefined || groupInput === null || typeof groupInput === "number"
          ? groupInput
          : groupInput.id;
      if (groupId !== undefined && groupId !== null && !findLimitGroup(ctx.em.state, groupId)) {
        throw fieldError("limit_group", `Limit group ${groupId} does not exist.`);
      }
      const billing =
        body.billing_integration === undefined
          ? settings.billingIntegration
          : mergeBillingIntegration(settings.billingIntegration, body.billing_integration);
      if (body.features) settings.features = { ...settings.features, ...body.features };
      if (groupId !== undefined) settings.limitGroupId = groupId;
      settings.billingIntegration = billing;
      for (const [key, value] of Object.entries(body)) {
        if (!HANDLED.has(key)) settings.other[key] = value;
      }
      return data(presentSettings(ctx.em.state));
    },
  },
];
