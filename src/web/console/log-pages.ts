import type { FastifyInstance } from "fastify";
import { listAuditLog } from "../../services/audit-log/list-audit-log.ts";
import { nameActors } from "../../services/audit-log/name-actors.ts";
import { listSolusioCalls } from "../../services/sync/list-solusio-calls.ts";
import { when } from "../page-kit.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import type { WebDeps } from "../web-deps.ts";
import { filteredListPage, filteredListRoute } from "./list-walk.ts";
import { filterValues, shownValues } from "../list-filters.ts";

// The SolusIO call log (every call tokenbill made, bodies masked before they were stored) and the audit log
// (every change, with who made it), newest first, 50 a page, walked by cursor as the invoice list is (until
// 2026-12-07 by page number: an OFFSET that read every entry before the page, deep in a large provider's log).

/** A stored JSON value for a <details> block, shortened: a page never carries a huge body. */
function shortJson(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(value, null, 2);
  return text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text;
}

const CALL_FILTERS = ["failed", "status"] as const;
const AUDIT_FILTERS = ["entity", "entity_id", "actor"] as const;

export function registerLogPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console/call-log", filteredListRoute(CALL_FILTERS), async (request, reply) => {
    // As on the customer and invoice lists, a filter the verb cannot read is refused beside its field (400,
    // no calls listed), never dropped: a list without its filter would pass for the filtered one.
    const values = filterValues(request, CALL_FILTERS);
    const shown = shownValues(values);
    const data = {
      title: "SolusIO call log",
      filters: { failed: shown["failed"] ?? "", status: shown["status"] ?? "" },
    };
    const page = { template: "console-call-log", data, filters: CALL_FILTERS, empty: { calls: [] } };
    return filteredListPage(deps, request, reply, page, async () => {
      // The verb checks `failed` against its list; the cast only passes the query's text on.
      const found = await listSolusioCalls({
        ctx: deps.contextOf(request),
        input: { ...walkQuery(request), ...(values as { failed?: "true" | "false"; status?: string }) },
      });
      return {
        calls: found.data.map((c) => ({ ...c, when: when(c.at), body: shortJson(c.request_body) })),
        pager: walkPagerOf(request, found.meta),
      };
    });
  });

  app.get("/console/audit-log", filteredListRoute(AUDIT_FILTERS), async (request, reply) => {
    // A filter longer than its bound is refused beside its field: until 2026-12-06 it was cut to the bound and
    // the list filtered by what was left, a list that passed for the one asked for.
    const values = filterValues(request, AUDIT_FILTERS);
    const shown = shownValues(values);
    const data = {
      title: "Audit log",
      filters: {
        entity: shown["entity"] ?? "",
        entity_id: shown["entity_id"] ?? "",
        actor: shown["actor"] ?? "",
      },
    };
    const page = { template: "console-audit-log", data, filters: AUDIT_FILTERS, empty: { entries: [] } };
    return filteredListPage(deps, request, reply, page, async () => {
      const ctx = deps.contextOf(request);
      const found = await listAuditLog({ ctx, input: { ...walkQuery(request), ...values } });
      // Who acted, as the API keys page names them (a staff user or customer by name and e-mail, a key by its
      // name, "Stripe webhook"); the stored label stays beside it, as the Actor filter takes it.
      const names = await nameActors({ ctx, input: { labels: found.data.map((e) => e.actor) } });
      return {
        entries: found.data.map((e) => ({
          ...e,
          actorName: names.get(e.actor) ?? e.actor,
          actorHref: names.has(e.actor) && names.get(e.actor) !== e.actor ? actorPage(e.actor) : undefined,
          when: when(e.at),
          beforeText: shortJson(e.before),
          afterText: shortJson(e.after),
        })),
        pager: walkPagerOf(request, found.meta),
      };
    });
  });
}

/** The console page of an actor that has one (a customer who acted in the portal), once it is found by name. */
function actorPage(label: string): string | undefined {
  const customer = /^customer:([0-9]+)$/.exec(label);
  return customer ? `/console/customers/${customer[1]}` : undefined;
}
