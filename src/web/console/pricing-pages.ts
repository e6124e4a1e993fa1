import type { FastifyInstance } from "fastify";
import { staffPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { clientGroupPages } from "./pricing-client-group-pages.ts";
import { currencyPages } from "./pricing-currency-pages.ts";
import { discountPages } from "./pricing-discount-pages.ts";
import { planPricePages } from "./pricing-plan-pages.ts";
import { type ResourcePages, registerResourcePages } from "./pricing-resource-pages.ts";
import { taxRulePages } from "./pricing-tax-rule-pages.ts";
import { STAFF } from "./page-helpers.ts";

// The console's pricing area (docs/console.md): an overview, then one list/form set per resource. Every
// page calls the admin API's verbs with the session's staff user, and those verbs check the role.

const RESOURCES: readonly ResourcePages<never>[] = [
  currencyPages,
  planPricePages,
  discountPages,
  clientGroupPages,
  taxRulePages,
] as unknown as readonly ResourcePages<never>[];

export function registerPricingPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console/pricing", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const areas = [];
    for (const spec of RESOURCES) {
      const page = await spec.verbs.list({ ctx, input: { page: 1, per_page: 1 } });
      areas.push({
        href: `/console/pricing/${spec.slug}`,
        title: spec.title,
        intro: spec.intro,
        total: page.meta.total,
      });
    }
    return staffPage(deps, request, reply, "console-pricing", { title: "Pricing", areas });
  });
  for (const spec of RESOURCES) registerResourcePages(app, deps, spec);
}
