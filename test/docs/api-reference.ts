import { buildOpenApi } from "../../src/http/openapi.ts";
import { leftOutRoutes } from "../../src/http/openapi-other-routes.ts";
import { adminRoutes } from "../../src/http/server.ts";

// docs/api.md as `npm run docs:api` writes it: every operation of the OpenAPI document, by tag, with its
// method, path, summary and access, and the topic doc that explains the tag. Built from the routes'
// declarations, so doc-api.test.ts can hold the committed file to the code: an operation added, removed or
// reworded and not written again fails there.

/** Where a hosting provider's engineer reads about each tag: a tag with no entry fails the generation. */
export const TOPIC_OF_TAG: Record<string, string> = {
  currencies: "[billing.md](billing.md#the-pricing-configuration-through-the-api)",
  "client-groups": "[billing.md](billing.md#the-pricing-configuration-through-the-api)",
  discounts: "[billing.md](billing.md#the-pricing-configuration-through-the-api)",
  "tax-rules": "[billing.md](billing.md#the-pricing-configuration-through-the-api)",
  "plan-prices": "[billing.md](billing.md#the-pricing-configuration-through-the-api)",
  pricing: "[billing.md](billing.md#gettokenpricing-billing-rules-3)",
  customers: "[solusio-integration.md](solusio-integration.md#user-sync-seed-step-8)",
  "audit-log": "[security.md](security.md#what-is-logged)",
  solusio: "[solusio-integration.md](solusio-integration.md#setup-and-doctor-seed-steps-3-4-5-7)",
  jobs: "[console.md](console.md#dashboard-customers-solusio-logs-api-keys-and-settings) (Failed jobs)",
  billing: "[billing-cycle.md](billing-cycle.md#starting-runs)",
  invoices: "[billing-cycle.md](billing-cycle.md#invoices-api)",
  payments: "[payments.md](payments.md#api)",
  "payment-provider-events": "[payments-stripe.md](payments-stripe.md#what-the-webhook-does)",
  dunning: "[dunning.md](dunning.md#when-it-runs)",
  "api-keys": "[security.md](security.md#how-secrets-are-kept)",
  backup: "[operations.md](operations.md#backups)",
  service: "[operations.md](operations.md#health-and-metrics), [metrics.md](metrics.md#scraping)",
};

interface Operation {
  tags: string[];
  summary: string;
  /** `[]` on an operation answered without a credential (openapi-other-routes.ts, PUBLIC). */
  security?: unknown[];
}

/** A table cell: one line, a pipe escaped. */
const cell = (text: string) => text.replace(/\s+/g, " ").replace(/\|/g, "\\|");

export function apiReference(): string {
  const doc = buildOpenApi(adminRoutes) as { paths: Record<string, Record<string, Operation>> };
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0]!;
      const access = Array.isArray(op.security) && op.security.length === 0 ? "none" : "admin key";
      const row = `| \`${method.toUpperCase()} ${path}\` | ${cell(op.summary)} | ${access} |`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), row]);
    }
  const unplaced = [...byTag.keys()].filter((tag) => TOPIC_OF_TAG[tag] === undefined);
  if (unplaced.length > 0)
    throw new Error(`no topic doc for the tags ${unplaced.join(", ")}: add them to TOPIC_OF_TAG`);
  const sections = [...byTag].map(([tag, rows]) =>
    [
      `## ${tag}`,
      "",
      `Explained in ${TOPIC_OF_TAG[tag]}.`,
      "",
      "| operation | what it does | credential |",
      "|---|---|---|",
      ...rows,
    ].join("\n"),
  );
  const leftOut = leftOutRoutes("PRICING_PATH").map(
    (r) => `- ${r.methods.join(", ")} \`${r.url}\`${r.below ? " and below" : ""}: ${r.reason}`,
  );
  return [
    "# API reference",
    "",
    "<!-- Written by `npm run docs:api` from the routes' declarations; test/docs/doc-api.test.ts fails when it is stale. Do not edit by hand. -->",
    "",
    "Every operation of tokenbill's HTTP API, by tag: its method and path, what it does, and the credential it",
    'needs ("admin key": `Authorization: Bearer <admin API key>`; "none": answered without one, see',
    "[security.md](security.md#who-may-call-what)). Parameters, bodies and answers: the OpenAPI document the",
    "server serves, `GET /api/v1/openapi.json`. Each tag names the doc that explains what its operations are for.",
    "",
    "Also answered, and not part of this API:",
    "",
    ...leftOut,
    "",
    ...sections.flatMap((section) => [section, ""]),
  ].join("\n");
}
