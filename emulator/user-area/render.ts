import { displayAmount, HOURS_IN_LONGEST_MONTH } from "../billing/plan-price.ts";
import type { PricingResult, TokenPricing } from "../billing/get-token-pricing.ts";
import { hoursAsOf } from "../ops/usage.ts";
import { findLocation, findPlan, serversOf } from "../state/state.ts";
import type { EmulatorState, PlanRecord, UserRecord } from "../state/types.ts";
import { esc, page } from "./html.ts";

// The logged-in user's page: their servers with state and hours this month, and the plans with prices as
// SolusIO shows them — tokens × user_token_unit_cost, formatted with the currency block GetTokenPricing
// returned, plus its discounts and taxes. Without prices the page still renders and says why.

/** The calendar month (UTC) that contains `now` [OURS: SolusIO's own billing time zone is not public]. */
export function monthOf(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

function serversTable(state: EmulatorState, user: UserRecord, now: Date): string {
  const servers = serversOf(state, user.id);
  if (servers.length === 0) return `<p class="muted" id="no-servers">You have no servers yet.</p>`;
  const month = monthOf(now);
  const rows = servers.map((s) => {
    const plan = findPlan(state, s.planId)?.name ?? s.plan.name;
    const ip = s.ips.find((i) => i.isPrimary)?.ip ?? "";
    const suspended = s.suspendedBy.length > 0 ? ` <span class="suspended">suspended</span>` : "";
    return `<tr data-server-id="${esc(s.id)}"><td>${esc(s.name)}</td><td class="status-${esc(s.status.replace(" ", "-"))}">${esc(s.status)}${suspended}</td><td>${esc(plan)}</td><td>${esc(findLocation(state, s.locationId)?.name ?? "")}</td><td>${esc(ip)}</td><td class="num">${esc(hoursAsOf(s, month, now))}</td></tr>`;
  });
  return `<table id="servers"><thead><tr><th>Name</th><th>State</th><th>Plan</th><th>Location</th><th>IPv4</th><th class="num">Hours this month</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function priceCells(plan: PlanRecord, pricing: TokenPricing | null): string {
  if (!pricing) return `<td class="num">—</td><td class="num">—</td>`;
  const perMonthTokens =
    plan.tokensPerMonth > 0
      ? BigInt(plan.tokensPerMonth)
      : BigInt(plan.tokensPerHour) * HOURS_IN_LONGEST_MONTH;
  return `<td class="num price-hour">${esc(displayAmount(BigInt(plan.tokensPerHour), pricing))}</td><td class="num price-month">${esc(displayAmount(perMonthTokens, pricing))}</td>`;
}

function pricingNotes(pricing: TokenPricing): string {
  const discounts = pricing.discounts.map(
    (d) =>
      `<li>${esc(d.name)}${d.description ? ` — ${esc(d.description)}` : ""} <span class="muted">(× ${esc(d.multipler)})</span></li>`,
  );
  const taxes = pricing.taxes.rates.map((t) => `<li>${esc(t.label)}: ${esc(t.rate)} %</li>`);
  const kind = pricing.taxes.compound ? "compound" : "simple";
  return [
    `<p class="muted">Prices in ${esc(pricing.currency.code)}, including discounts and taxes (1 token = ${esc(displayUnit(pricing))}).</p>`,
    discounts.length > 0 ? `<h3>Discounts</h3><ul id="discounts">${discounts.join("")}</ul>` : "",
    taxes.length > 0 ? `<h3>Taxes (${kind})</h3><ul id="taxes">${taxes.join("")}</ul>` : "",
  ].join("\n");
}

function displayUnit(pricing: TokenPricing): string {
  const c = pricing.currency;
  return `${c.display_prefix}${pricing.user_token_unit_cost}${c.display_suffix}`;
}

function unavailable(result: PricingResult | null): string {
  const why =
    result === null
      ? "no billing system is connected to this account"
      : result.ok
        ? ""
        : `the billing system did not answer properly (${result.reason})`;
  return `<p class="notice" id="prices-unavailable">Prices are unavailable: ${esc(why)}.</p>`;
}

export function renderUserArea(
  state: EmulatorState,
  user: UserRecord,
  now: Date,
  pricingResult: PricingResult | null,
): string {
  const pricing = pricingResult?.ok ? pricingResult.pricing : null;
  const plans = state.plans.filter((p) => p.isVisible);
  const planRows = plans.map(
    (p) =>
      `<tr data-plan-id="${esc(p.id)}"><td>${esc(p.name)}</td><td class="num">${esc(p.tokensPerHour)}</td><td class="num">${esc(p.tokensPerMonth)}</td>${priceCells(p, pricing)}</tr>`,
  );
  const banner =
    user.status === "active"
      ? ""
      : `<p class="notice" id="account-status">Your account is ${esc(user.status)}: you cannot create servers${user.status === "suspended" ? " and your servers are suspended" : ""}.</p>`;
  const body = `<header><h1>SolusIO user area</h1><form method="post" action="/logout"><span class="muted">${esc(user.email)}</span> <button type="submit">Log out</button></form></header>
${banner}
<h2>Servers</h2>
${serversTable(state, user, now)}
<h2>Plans</h2>
${pricing ? pricingNotes(pricing) : unavailable(pricingResult)}
${plans.length === 0 ? `<p class="muted">No plans are offered.</p>` : `<table id="plans"><thead><tr><th>Plan</th><th class="num">Tokens / hour</th><th class="num">Tokens / month</th><th class="num">Per hour</th><th class="num">Per month</th></tr></thead><tbody>${planRows.join("")}</tbody></table>`}
<p class="muted">Emulated time: ${esc(now.toISOString())}</p>`;
  return page("SolusIO user area", body);
}

export function renderMessage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
