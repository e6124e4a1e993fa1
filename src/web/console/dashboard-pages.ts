import type { FastifyInstance } from "fastify";
import { listBillingRuns } from "../../billing/runs/list-billing-runs.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { monthToDateEstimate } from "../../services/dashboard/month-to-date-estimate.ts";
import { viewOverdueTotals } from "../../services/dashboard/overdue-view.ts";
import { solusioHealth } from "../../services/setup/solusio-console.ts";
import { money, staffPage, when } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { STAFF } from "./page-helpers.ts";

// The console's first page: this month's usage and revenue so far (an estimate), the last billing run,
// what is overdue per currency (at most a minute old, overdue-view.ts) and whether SolusIO answers. Each
// figure comes from its own verb.

export function registerDashboardPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const input = {};
    const [estimate, runs, overdue, health, displays] = await Promise.all([
      monthToDateEstimate({ ctx, input }),
      listBillingRuns({ ctx, input: { page: 1, per_page: 1 } }),
      viewOverdueTotals(ctx),
      solusioHealth({ ctx, input }),
      currencyDisplays({ ctx, input }),
    ]);
    // An amount in a currency that has no display any more is written plainly, never dropped.
    const amount = (minor: bigint, code: string) => {
      const display = displays.get(code);
      return display ? money(minor, display) : `${minor} ${code} (minor units)`;
    };
    const run = runs.data[0];
    return staffPage(deps, request, reply, "console-home", {
      title: "Dashboard",
      estimate: {
        ...estimate,
        from: when(estimate.period.start),
        to: when(estimate.period.end),
        computedAt: when(estimate.computedAt),
        tokens: estimate.tokens.toLocaleString("en-US"),
        revenue: estimate.revenue.map((r) => ({ ...r, text: amount(r.amount, r.currency) })),
      },
      run: run && {
        ...run,
        startedAt: when(run.started_at),
        finishedAt: when(run.finished_at),
        invoices: run.summary
          ? Object.values(run.summary.invoices.by_status).reduce((a, b) => a + b, 0)
          : null,
      },
      overdue: {
        ...overdue,
        computedAt: when(overdue.computedAt),
        totals: overdue.totals.map((o) => ({ ...o, text: amount(o.amount, o.currency) })),
      },
      health,
    });
  });
}
