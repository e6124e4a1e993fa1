import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BillingRunCreate, type BillingRun } from "../../billing/runs/billing-run-schemas.ts";
import { getBillingRun } from "../../billing/runs/get-billing-run.ts";
import { launchBillingRun } from "../../billing/runs/launch-billing-run.ts";
import { listBillingAnomalies } from "../../billing/runs/list-billing-anomalies.ts";
import { listBillingRuns } from "../../billing/runs/list-billing-runs.ts";
import { previousPeriod } from "../../domain/periods.ts";
import { zodToServiceError } from "../../kernel/verb.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { money, pageQuery, pagerOf, staffPage, when } from "../page-kit.ts";
import { readableTimes } from "../page-time.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { formFailureOf } from "../form-failure.ts";
import { ASSET, STAFF, STAFF_FORM, noticeFrom, queryText } from "./page-helpers.ts";
import { refuseFormText } from "../page-text-input.ts";

// Billing runs (docs/billing-cycle.md): the list with a form to start one, and a run's page, which follows
// the run while it is running (assets/follow-page.js swaps in the fresh progress every few seconds; without
// script, a Reload link) and then shows the summary and the anomalies. The verbs are the admin API's; they check the staff role.

export const FOLLOW_SECONDS = 3;
const FOLLOW_SCRIPT = readFileSync(new URL("../assets/follow-page.js", import.meta.url), "utf8");

/** What the form's answer says, by the run's state now: it may have ended before the page is read. */
const STARTED: Record<BillingRun["state"], string> = {
  running: "The run has started. This page follows its progress.",
  completed: "The run has started and finished: its summary is below.",
  failed: "The run has started and failed: its state and error are below.",
};

export function registerBillingRunPages(app: FastifyInstance, deps: WebDeps): void {
  // The one script of the console, from our own origin (the CSP allows 'self' scripts, never inline ones).
  app.get("/console/assets/follow-page.js", ASSET, async (_request, reply) =>
    reply
      .header("cache-control", "private, max-age=300")
      .type("text/javascript; charset=utf-8")
      .send(FOLLOW_SCRIPT),
  );
  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
  ) => {
    const ctx = deps.contextOf(request);
    const page = await listBillingRuns({ ctx, input: pageQuery(request) });
    // The month that ended last, in the billing time zone: what a person usually bills.
    const lastMonth = previousPeriod(ctx.now(), ctx.config.BILLING_TIME_ZONE);
    return staffPage(
      deps,
      request,
      reply,
      "console-billing-run-list",
      {
        title: "Billing runs",
        runs: page.data.map(rowOf),
        pager: pagerOf(request, page.meta),
        values: { period: lastMonth, ...extra.values },
        errors: extra.errors ?? {},
      },
      status,
    );
  };

  app.get("/console/billing-runs", STAFF, (request, reply) => listPage(request, reply));

  app.post(
    "/console/billing-runs",
    { ...STAFF_FORM, preHandler: app.csrfProtection },
    async (request, reply) => {
      const { period = "" } = formFields(request);
      let run: BillingRun;
      try {
        refuseFormText(request);
        const input = BillingRunCreate.safeParse({ period: period.trim() });
        if (!input.success) throw zodToServiceError(input.error);
        run = (await launchBillingRun({ ctx: deps.contextOf(request), input: input.data })).run;
      } catch (error) {
        const failure = formFailureOf(error, ["period"]);
        if (!failure) throw error;
        return listPage(request, reply, failure.status, { errors: failure.errors, values: { period } });
      }
      return reply.redirect(`/console/billing-runs/${run.id}?notice=started`, 303);
    },
  );

  app.get<{ Params: { id: string } }>("/console/billing-runs/:id", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const run = await getBillingRun({ ctx, input: { id: request.params.id } });
    const anomalies = await listBillingAnomalies({
      ctx,
      input: {
        id: run.id,
        ...pageQuery(request),
        ...(queryText(request, "kind") ? { kind: queryText(request, "kind") } : {}),
      },
    });
    const displays = await currencyDisplays({ ctx, input: {} });
    const totals = (run.summary?.totals ?? []).map((t) => {
      const display = displays.get(t.currency);
      const show = (minor: bigint) =>
        display ? money(minor, display) : `${minor} (${t.currency} minor units)`;
      return {
        currency: t.currency,
        invoices: t.invoices,
        subtotal: show(t.subtotal),
        discounts: show(t.discounts),
        taxes: show(t.taxes),
        total: show(t.total),
      };
    });
    const running = run.state === "running";
    return staffPage(deps, request, reply, "console-billing-run", {
      title: `Billing run ${run.period}`,
      run: rowOf(run),
      summary: run.summary,
      totals,
      followSeconds: FOLLOW_SECONDS,
      running,
      anomalies: anomalies.data.map((a) => ({ ...a, created: when(a.created_at) })),
      pager: pagerOf(request, anomalies.meta),
      notice: noticeFrom(request, { started: STARTED[run.state] }),
    });
  });
}

const STATE_BADGE: Record<BillingRun["state"], string> = { running: "warn", completed: "ok", failed: "bad" };

function rowOf(run: BillingRun) {
  const { processed, total } = run.progress;
  return {
    ...run,
    badge: STATE_BADGE[run.state],
    started: when(run.started_at),
    finished: when(run.finished_at),
    covered: `${when(run.period_start)} – ${when(run.period_end)}`,
    bounds_warning: run.bounds_warning && readableTimes(run.bounds_warning),
    percent: total > 0 ? Math.floor((processed * 100) / total) : run.state === "completed" ? 100 : 0,
  };
}
