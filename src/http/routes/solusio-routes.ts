import { z } from "zod";
import { DoctorQuery, runDoctor } from "../../services/setup/doctor.ts";
import { DoctorSummary, doctorSummary } from "../../services/setup/doctor-summary.ts";
import { doctorDeps } from "../../services/setup/solusio-console.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { createSsoUrl } from "../../services/sso/single-sign-on.ts";
import { createSsoLink } from "../../services/sso/sso-link.ts";
import {
  listSolusioCalls,
  SolusioCallEntry,
  SolusioCallQuery,
} from "../../services/sync/list-solusio-calls.ts";
import { reconcileSolusio } from "../../services/sync/reconcile.ts";
import { refuseAnotherSolusio } from "../../solusio/solusio-binding.ts";
import { ReconcileAnswer, reconcileAnswer } from "../../services/sync/reconcile-answer.ts";
import { requireSolusio } from "../../services/sync/require-solusio.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../../services/staff/staff-roles.ts";
import { defineRoute } from "../route.ts";

export const solusioRoutes = [
  defineRoute({
    method: "POST",
    url: "/api/v1/customers/{id}/sso",
    tag: "solusio",
    summary: "A one-time login URL into the SolusIO user area (suspended customers are refused with 403)",
    params: IdParams,
    response: z.object({ url: z.string() }),
    handler: async ({ ctx, params }) => ({
      url: await createSsoUrl(ctx, requireSolusio(ctx).connection, params.id),
    }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/customers/{id}/sso-link",
    tag: "solusio",
    summary: "A signed tokenbill link (valid 5 minutes) that logs the customer into SolusIO when opened",
    params: IdParams,
    response: z.object({ url: z.string(), expires_at: z.string() }),
    handler: ({ ctx, params }) => createSsoLink(ctx, params.id),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/solusio/reconcile",
    tag: "solusio",
    summary:
      "Compare every customer with SolusIO's users and list the drift (owner and admin); with fix, queue syncs that repair it. The counts are whole; the lists hold at most 500 rows, with a note when more exist",
    // No body is `{"fix": false}`, as its default says (until 2026-12-06 a 400 "(body): is required").
    body: z
      .object({ fix: z.boolean().default(false) })
      .strict()
      .optional()
      .transform((b) => b ?? { fix: false }),
    response: ReconcileAnswer,
    handler: async ({ ctx, body }) => {
      const solusio = requireSolusio(ctx);
      await refuseAnotherSolusio(ctx.db, solusio.connection);
      const deps = { api: solusio.connection.api, limitGroupId: solusio.limitGroupId };
      return reconcileAnswer(await reconcileSolusio(ctx, deps, body));
    },
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/solusio/doctor",
    tag: "solusio",
    summary:
      "Check connectivity, token rights, every setup item and the billing_user_ids SolusIO's users carry; changes nothing. The last reads every SolusIO user (a call per 15) unless billing_user_ids=stored. meta.ok is true only when every check was made and passed",
    query: DoctorQuery,
    // Every check is a call to SolusIO: a HEAD would make them all for nothing.
    noHead: true,
    // Each call to SolusIO is a row of the call log.
    writes: true,
    response: z.array(
      z.object({
        name: z.string(),
        ok: z.boolean(),
        not_checked: z.literal(true).optional().meta({
          description:
            "neither passed nor failed: nothing has looked yet (billing user ids with billing_user_ids=stored before any reconciliation); ok is true and fix says what checks it",
        }),
        detail: z.string(),
        fix: z.string().optional(),
      }),
    ),
    // `meta` adds them up: ok only when every check was made and passed (doctor-summary.ts).
    meta: DoctorSummary,
    handler: async ({ ctx, query }) => {
      // Checked here too, not only by the access layer's key roles: a later route or page that reaches this
      // handler with another actor is refused before any call to SolusIO.
      const me = await requireStaffRole(ctx, ...READ_ROLES);
      const checks = await runDoctor({
        ...doctorDeps(ctx),
        seesWhere: seesWhereSystemsAre(ctx, me),
        billingUserIds: query.billing_user_ids,
      });
      return { data: checks, meta: doctorSummary(checks) };
    },
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/solusio/calls",
    tag: "solusio",
    summary: "Every call made to SolusIO: method, path, status, duration, masked body (newest first)",
    query: SolusioCallQuery,
    response: z.array(SolusioCallEntry),
    paged: "cursor",
    handler: ({ ctx, query }) => listSolusioCalls({ ctx, input: query }),
  }),
];
