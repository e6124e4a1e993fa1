import type { FastifyInstance } from "fastify";
import { listAuditLog } from "../../services/audit-log/list-audit-log.ts";
import { listSolusioCalls } from "../../services/sync/list-solusio-calls.ts";
import { pageQuery, pagerOf, staffPage, when } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { queryText, STAFF } from "./page-helpers.ts";
import { formFailureOf } from "./pricing-form-kit.ts";

// The SolusIO call log (every call tokenbill made, bodies masked before they were stored) and the audit log
// (every change, with who made it), newest first, 50 a page.

/** A stored JSON value for a <details> block, shortened: a page never carries a huge body. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(value, null, 2);
  return text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text;
}

export function registerLogPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console/call-log", STAFF, async (request, reply) => {
    // As on the customer and invoice lists, a filter the verb cannot read is refused beside its field (400,
    // no calls listed), never dropped: a list without its filter would pass for the filtered one.
    const filters = {
      failed: queryText(request, "failed") ?? "",
      status: queryText(request, "status") ?? "",
    };
    const data = { title: "SolusIO call log", filters };
    try {
      const page = await listSolusioCalls({
        ctx: deps.contextOf(request),
        input: {
          ...pageQuery(request),
          // The verb checks the value against its list; the cast only passes the query's text on.
          ...(filters.failed ? { failed: filters.failed as "true" | "false" } : {}),
          ...(filters.status ? { status: filters.status } : {}),
        },
      });
      return staffPage(deps, request, reply, "console-call-log", {
        ...data,
        calls: page.data.map((c) => ({ ...c, when: when(c.at), body: shown(c.request_body) })),
        pager: pagerOf(request, page.meta),
      });
    } catch (error) {
      const failure = formFailureOf(error, ["failed", "status"]);
      if (!failure) throw error;
      return staffPage(
        deps,
        request,
        reply,
        "console-call-log",
        { ...data, calls: [], errors: failure.errors },
        failure.status,
      );
    }
  });

  app.get("/console/audit-log", STAFF, async (request, reply) => {
    const filters = {
      entity: (queryText(request, "entity") ?? "").slice(0, 50),
      entity_id: (queryText(request, "entity_id") ?? "").slice(0, 100),
      actor: (queryText(request, "actor") ?? "").slice(0, 100),
    };
    const page = await listAuditLog({
      ctx: deps.contextOf(request),
      input: {
        ...pageQuery(request),
        ...(filters.entity ? { entity: filters.entity } : {}),
        ...(filters.entity_id ? { entity_id: filters.entity_id } : {}),
        ...(filters.actor ? { actor: filters.actor } : {}),
      },
    });
    return staffPage(deps, request, reply, "console-audit-log", {
      title: "Audit log",
      entries: page.data.map((e) => ({
        ...e,
        when: when(e.at),
        beforeText: shown(e.before),
        afterText: shown(e.after),
      })),
      filters,
      pager: pagerOf(request, page.meta),
    });
  });
}
