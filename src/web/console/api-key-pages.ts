import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  API_KEY_ROLES,
  type CreatedApiKey,
  createApiKey,
  getApiKey,
  listApiKeys,
} from "../../services/api-keys/api-keys.ts";
import { revokeApiKey } from "../../services/api-keys/api-keys.ts";
import { nameActors } from "../../services/audit-log/name-actors.ts";
import { confirmStaffAction, pageQuery, pagerOf, staffPage, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { fieldErrorsOf, noticeFrom, param, STAFF, STAFF_FORM, staffFormOf } from "./page-helpers.ts";
import { ADMIN_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";
import { API_KEY_SHOWN_ONCE, leaveShownOnce, takeShownOnce } from "../shown-once.ts";

// Admin API keys for automation: the list (never a key or its hash), create — the new key is shown once, on
// the list the form redirects to (shown-once.ts), and never again — and revoke after a confirmation.

const NOTICES: Record<string, string> = {
  revoked: "The key is revoked: the next request with it is refused.",
};

export function registerApiKeyPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      created?: Pick<CreatedApiKey, "name" | "key">;
      errors?: FieldErrors;
      values?: Record<string, string>;
    } = {},
    status = 200,
  ) => {
    const ctx = deps.contextOf(request);
    const page = await listApiKeys({ ctx, input: pageQuery(request) });
    // Who made each key, by name and e-mail rather than the audit log's `staff:stf_…` label.
    const labels = page.data.flatMap((k) => (k.created_by === null ? [] : [k.created_by]));
    const creators = await nameActors({ ctx, input: { labels } });
    return staffPage(
      deps,
      request,
      reply,
      "console-api-keys",
      {
        title: "API keys",
        roles: API_KEY_ROLES,
        keys: page.data.map((k) => ({
          ...k,
          created: when(k.created_at),
          createdBy: k.created_by === null ? "unknown" : (creators.get(k.created_by) ?? k.created_by),
          lastUsed: when(k.last_used_at),
          revoked: when(k.revoked_at),
        })),
        pager: pagerOf(request, page.meta),
        notice: noticeFrom(request, NOTICES),
        ...extra,
      },
      status,
    );
  };

  app.get("/console/api-keys", STAFF, async (request, reply) => {
    const created = takeShownOnce(request, reply, deps.config, API_KEY_SHOWN_ONCE);
    const shown = created?.["name"] !== undefined && created["key"] !== undefined;
    return listPage(
      request,
      reply,
      shown ? { created: { name: created["name"]!, key: created["key"]! } } : {},
    );
  });

  // Post/Redirect/Get: reloading the page that shows the key reads the list again, and makes no second key.
  app.post("/console/api-keys", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const { name = "", role = "admin" } = formFields(request);
    try {
      refuseFormText(request);
      // The verb checks the role (a VALIDATION error beside the select) and that it is not above the user's.
      const input = { name, role: role as CreatedApiKey["role"] };
      const created = await createApiKey({ ctx: deps.contextOf(request), input });
      leaveShownOnce(request, reply, deps.config, API_KEY_SHOWN_ONCE, {
        name: created.name,
        key: created.key,
      });
      return reply.redirect("/console/api-keys", 303);
    } catch (error) {
      const errors = fieldErrorsOf(error, ["name", "role"]);
      if (!errors) throw error;
      return listPage(request, reply, { errors, values: { name, role } }, 400);
    }
  });

  // The key by the name the list shows (and how it begins), so the right one is revoked; no page for an id
  // that is no key's.
  app.get("/console/api-keys/:id/revoke", staffFormOf(deps, ADMIN_ROLES), async (request, reply) => {
    const key = await getApiKey({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });
    return confirmStaffAction(deps, request, reply, {
      title: `Revoke API key “${key.name}”`,
      message: `${key.prefix === null ? `The key ${key.id}` : `The key beginning ${key.prefix}`}: anything that uses it (a script, a pipeline) is refused from its next request on. This cannot be undone.`,
      action: `/console/api-keys/${encodeURIComponent(key.id)}/revoke`,
      submit: "Revoke key",
      cancel: "/console/api-keys",
    });
  });

  app.post("/console/api-keys/:id/revoke", { ...STAFF, ...csrf }, async (request, reply) => {
    await revokeApiKey({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });
    return reply.redirect("/console/api-keys?notice=revoked", 303);
  });
}
