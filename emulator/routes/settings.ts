import { z } from "zod";
import { BillingIntegrationInput, mergeBillingIntegration } from "../billing/billing-integration.ts";
import { fieldError } from "../errors.ts";
import { data, type Route } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { presentSettings } from "../present/settings.ts";
import { IdInput } from "../schemas.ts";
import { findLimitGroup } from "../state/state.ts";

// GET/PATCH settings (solusio-api.md §7). PATCH changes only the keys sent. The default limit group may be
// given as `limit_group: <id>`, `limit_group: {id}` or `limit_group_id: <id>`; null clears it [OURS].

const SettingsPatch = z.object({
  features: z.object({ allow_registration: z.boolean().optional() }).optional(),
  limit_group: z.union([IdInput, z.object({ id: IdInput }), z.null()]).optional(),
  limit_group_id: IdInput.nullable().optional(),
  billing_integration: BillingIntegrationInput.nullable().optional(),
});

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
      if (body.features?.allow_registration !== undefined)
        settings.allowRegistration = body.features.allow_registration;
      if (groupId !== undefined) settings.limitGroupId = groupId;
      settings.billingIntegration = billing;
      return data(presentSettings(ctx.em.state));
    },
  },
];
