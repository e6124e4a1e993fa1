import type { FastifyInstance } from "fastify";
import { portalCostEstimate } from "../../services/portal/portal-cost-estimate.ts";
import { portalOverview } from "../../services/portal/portal-overview.ts";
import { customerPage, money, when } from "../page-kit.ts";
import { day } from "../page-time.ts";
import type { WebDeps } from "../web-deps.ts";
import { allowFormRedirects, controlPanelOrigin } from "../form-redirects.ts";
import { CUSTOMER, portalNoticeOf } from "./portal-notices.ts";

// The portal's overview (/portal): balance, amount due, the dunning warning, this month's cost so far per
// server (an estimate), and the "Open control panel" button.

/** What the balance is made of, in the balance card's words. */
function balanceWords(
  balance: bigint,
  available: bigint,
  held: bigint,
  cur: Parameters<typeof money>[1],
): string {
  if (held === 0n)
    return balance < 0n ? "You are in credit: it pays your next invoices." : "What you owe, less any credit.";
  const back = `${money(held, cur)} of your credit is on its way back to your card: it pays no invoice.`;
  if (available > 0n) return `${money(available, cur)} of your credit pays your next invoices; ${back}`;
  return `What you owe, less your credit. ${back}`;
}

export function registerPortalOverviewPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/portal", CUSTOMER, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const [overview, estimate] = await Promise.all([
      portalOverview({ ctx, input: {} }),
      portalCostEstimate({ ctx, input: {} }),
    ]);
    allowFormRedirects(reply, [controlPanelOrigin(ctx)]);
    const cur = overview.currency;
    const d = overview.dunning;
    const dunning = d && {
      level: d.level,
      status: d.status,
      invoice: { id: d.invoice.id, number: d.invoice.number ?? d.invoice.id },
      amount_due: money(d.invoice.amount_due, cur),
      due_date: day(d.invoice.due_date),
      days_overdue: d.days_overdue,
      overdue_invoices: d.overdue_invoices,
      next: d.next && { on: day(d.next.on), what: d.next.what },
    };
    // Credit a credit note's pending card refund holds is going back to the card and pays no invoice: shown
    // apart, never as credit that pays the next invoices (it was, until 2026-12-06).
    const available = overview.credit - overview.credit_held;
    const held = overview.credit_held > 0n ? money(overview.credit_held, cur) : undefined;
    return customerPage(deps, request, reply, "portal-home", {
      title: "Your account",
      notice: portalNoticeOf(request),
      balance: money(overview.balance, cur),
      balance_words: balanceWords(overview.balance, available, overview.credit_held, cur),
      amount_due: money(overview.amount_due, cur),
      credit: available > 0n ? money(available, cur) : undefined,
      credit_held: held,
      status: overview.status,
      unpaid: overview.unpaid.map((i) => ({
        id: i.id,
        number: i.number ?? i.id,
        due_date: i.due_date,
        amount_due: money(i.amount_due, cur),
      })),
      dunning,
      estimate: {
        available: estimate.available,
        from: when(estimate.period.start),
        to: when(estimate.period.end),
        unit_price: estimate.unit_price,
        currency: estimate.currency,
        servers: estimate.servers.map((s) => ({
          name: s.server.name,
          plans: s.plans.join(", "),
          tokens: s.tokens.toLocaleString("en-GB"),
          amount: money(s.amount, cur),
        })),
        total: money(estimate.total, cur),
      },
    });
  });
}
