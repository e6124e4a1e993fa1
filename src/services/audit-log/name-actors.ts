import { z } from "zod";
import { providerLabel } from "../../billing/providers/payment-provider.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

// Actors as a person reads them, for pages that show who did something (an API key's creator, the audit log):
// staff and customers by name and e-mail, keys by name, a provider's webhook by the provider. The audit log
// and the API keep the labels (`staff:stf_…`, `apikey:key_…`, `env-admin-key`: actorLabel), which are stable
// and mean the same in every answer and row, whereas a staff user's name and e-mail can change.

export const NameActorsInput = z.object({
  /** Labels as actorLabel writes them; one page's worth at most. */
  labels: z.array(z.string().max(200)).max(500),
});

/** Labels that need no lookup, named as the code names those actors (src/kernel/actor.ts). */
const FIXED: Record<string, string> = {
  "env-admin-key": "environment key (TOKENBILL_ADMIN_API_KEY)",
  "system:bootstrap": "bootstrap (first start)",
  cli: "command line",
};

/** Each label given, as a person reads it; a label whose staff user, key or customer is gone stays as it is. */
export const nameActors = defineVerb(
  NameActorsInput,
  async ({ ctx, input }): Promise<Map<string, string>> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    const labels = [...new Set(input.labels)];
    const idsOf = (prefix: string) =>
      labels.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
    const staffIds = idsOf("staff:");
    const keyIds = idsOf("apikey:");
    // Only digits are a customer's id (actorLabel writes `customer:<bigint>`); anything else stays as it is.
    const customerIds = idsOf("customer:")
      .filter((id) => /^[0-9]{1,18}$/.test(id))
      .map(BigInt);
    const staff =
      staffIds.length === 0
        ? []
        : await ctx.db
            .selectFrom("staff_user")
            .select(["id", "name", "email"])
            .where("id", "in", staffIds)
            .execute();
    const keys =
      keyIds.length === 0
        ? []
        : await ctx.db.selectFrom("api_key").select(["id", "name"]).where("id", "in", keyIds).execute();
    const customers =
      customerIds.length === 0
        ? []
        : await ctx.db
            .selectFrom("customer")
            .select(["id", "name", "email"])
            .where("id", "in", customerIds)
            .execute();
    const names = new Map<string, string>();
    for (const c of customers) names.set(`customer:${c.id}`, c.name ? `${c.name} (${c.email})` : c.email);
    for (const s of staff) names.set(`staff:${s.id}`, s.name ? `${s.name} (${s.email})` : s.email);
    for (const k of keys) names.set(`apikey:${k.id}`, `API key “${k.name}”`);
    for (const label of labels) {
      if (names.has(label)) continue;
      names.set(label, FIXED[label] ?? fixedKindName(label) ?? label);
    }
    return names;
  },
);

/** A system job or a payment provider's webhook (`webhook:stripe` → "Stripe webhook"): named by the label alone. */
function fixedKindName(label: string): string | undefined {
  const colon = label.indexOf(":");
  const rest = label.slice(colon + 1);
  if (colon < 0 || rest === "") return undefined;
  switch (label.slice(0, colon)) {
    case "system":
      return `system (${rest})`;
    case "webhook":
      return `${providerLabel({ name: rest })} webhook`;
    default:
      return undefined;
  }
}
