import type { FastifyReply, FastifyRequest } from "fastify";
import { type CurrencyDisplay, formatMinor } from "../domain/money.ts";
import { ServiceError } from "../kernel/errors.ts";
import { MAX_PAGE, type Page, PageQuery } from "../kernel/pagination.ts";
import { currentPortalCustomer } from "../services/portal-accounts/portal-accounts.ts";
import { ADMIN_ROLES, BILLING_ROLES, roleMay } from "../services/staff/staff-roles.ts";
import { currentStaffUser } from "../services/staff/staff-users.ts";
import { type PageData, renderPage } from "./render.ts";

export { paidOn, when } from "./page-time.ts";
import { csrfToken, type WebDeps } from "./web-deps.ts";

// What every console and portal page is made of: the header (who is logged in, the face's navigation), the
// CSRF token for its forms, page numbers from the query, money in the currency's own format (billing-rules
// §1) and the confirmation step of a destructive action. Pages call verbs; this file holds no rules.

export interface NavItem {
  href: string;
  text: string;
}

export const CONSOLE_NAV: readonly NavItem[] = [
  { href: "/console", text: "Dashboard" },
  { href: "/console/customers", text: "Customers" },
  { href: "/console/pricing", text: "Pricing" },
  { href: "/console/billing-runs", text: "Billing runs" },
  { href: "/console/invoices", text: "Invoices" },
  { href: "/console/payments", text: "Payments" },
  { href: "/console/credit-notes", text: "Credit notes" },
  { href: "/console/solusio", text: "SolusIO" },
  { href: "/console/call-log", text: "Call log" },
  { href: "/console/jobs", text: "Failed jobs" },
  { href: "/console/payment-events", text: "Payment events" },
  { href: "/console/audit-log", text: "Audit log" },
  { href: "/console/api-keys", text: "API keys" },
  { href: "/console/settings", text: "Settings" },
];

export const PORTAL_NAV: readonly NavItem[] = [
  { href: "/portal", text: "Overview" },
  { href: "/portal/invoices", text: "Invoices" },
  { href: "/portal/credit-notes", text: "Credit notes" },
  { href: "/portal/payments", text: "Payments" },
  { href: "/portal/statement", text: "Statement" },
  { href: "/portal/profile", text: "Profile" },
];

export type PageExtra = Omit<PageData, "face" | "csrf" | "who"> & { title: string };

/** Renders a page of `face` with its header (who is logged in), navigation and CSRF token. */
function facePage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  frame: Pick<PageData, "face" | "who"> & { nav: readonly NavItem[] } & Record<string, unknown>,
  data: PageExtra,
  status: number,
): FastifyReply {
  const page = {
    ...frame,
    current: request.routeOptions.url,
    csrf: csrfToken(request, reply),
    ...data,
  };
  return renderPage(reply, template, page, status);
}

/** Renders a console page for the session's staff user. */
export async function staffPage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: PageExtra,
  status = 200,
): Promise<FastifyReply> {
  const user = await currentStaffUser({ ctx: deps.contextOf(request), input: {} });
  const who = { name: user.name || user.email, detail: user.role };
  // What the user's role may change, by the role lists the verbs check (staff-roles.ts), so a page offers
  // no button whose verb would refuse it (money: BILLING_ROLES; customers, pricing, keys: ADMIN_ROLES).
  const may = { money: roleMay(user.role, BILLING_ROLES), admin: roleMay(user.role, ADMIN_ROLES) };
  return facePage(
    request,
    reply,
    template,
    { face: "console", who, staff: user, may, nav: CONSOLE_NAV },
    data,
    status,
  );
}

/** Renders a portal page for the session's customer. */
export async function customerPage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: PageExtra,
  status = 200,
): Promise<FastifyReply> {
  const customer = await currentPortalCustomer({ ctx: deps.contextOf(request), input: {} });
  const who = { name: customer.name || customer.email, detail: customer.email };
  return facePage(request, reply, template, { face: "portal", who, customer, nav: PORTAL_NAV }, data, status);
}

/**
 * The page a list shows, from `?page=` (or `name`, for a page holding two lists), 50 rows a page: missing or
 * empty is page 1; anything else but a whole number from 1 to 1,000,000 (the API's bound, PageQuery) is a
 * VALIDATION error naming the parameter, which a page answers with 400 saying what was wrong. Until
 * 2026-12-06 a bad value ("abc", "-1", 20 digits, the parameter twice) was read as page 1, so an edited or
 * cut link showed the first page as if it were the one asked for.
 */
export function pageQuery(
  request: FastifyRequest,
  perPage = 50,
  name = "page",
): { page: number; per_page: number } {
  const raw = (request.query as Record<string, unknown> | undefined)?.[name];
  if (raw === undefined || raw === "") return { page: 1, per_page: perPage };
  const parsed = PageQuery.shape.page.safeParse(raw);
  if (!parsed.success) throw ServiceError.validation(name, PAGE_NUMBER_WORDS);
  return { page: parsed.data, per_page: perPage };
}

/**
 * The paging input of a list page with a filter form, for its verb: the page number as the address gave it,
 * checked by the verb's schema (PageQuery, the same words as pageQuery's) together with the filters, so a bad
 * page number and a bad filter are both told (pageQuery refuses the page before the verb sees a filter: until
 * 2026-12-06 only the page number's error was shown). Missing or empty is page 1; the parameter given twice is
 * its values joined ("1,2"), which no page number is.
 */
export function listPaging(
  request: FastifyRequest,
  perPage = 50,
): { page: string | number; per_page: number } {
  const raw = (request.query as Record<string, unknown> | undefined)?.["page"];
  if (raw === undefined || raw === "") return { page: 1, per_page: perPage };
  return { page: Array.isArray(raw) ? raw.join(",") : String(raw), per_page: perPage };
}

/** What a bad page number is told: the API's words for its `page` (pagination.ts). */
export const PAGE_NUMBER_WORDS = `must be a whole number from 1 to ${MAX_PAGE}`;

/**
 * What every pager gives the list-past-end partial: whether the address paged into the list (a page number
 * past 1, a cursor), so that a page with no rows is past the list's end rather than a filter matching nothing,
 * and the list's first page with the filters kept.
 */
export interface ListPager {
  page: number;
  last: number | null;
  total: number | null;
  paged: boolean;
  start: string;
  prev?: string;
  next?: string;
}

/** The pager partial's input: links to the previous and next pages, keeping the list's other filters. */
export function pagerOf(
  request: FastifyRequest,
  meta: Page<unknown>["meta"],
  name = "page",
  // A page a form's POST answers with itself (settings) links to where it is read: its GET path.
  path = request.url.split("?")[0]!,
): ListPager & { last: number; total: number } {
  const params = new URLSearchParams(request.url.includes("?") ? request.url.split("?")[1] : "");
  const link = (page: number) => {
    params.set(name, String(page));
    return `${path}?${params.toString()}`;
  };
  const first = new URLSearchParams(params);
  first.delete(name);
  return {
    page: meta.page,
    last: meta.last_page,
    total: meta.total,
    paged: meta.page > 1,
    start: first.size === 0 ? path : `${path}?${first.toString()}`,
    ...(meta.page > 1 ? { prev: link(meta.page - 1) } : {}),
    ...(meta.page < meta.last_page ? { next: link(meta.page + 1) } : {}),
  };
}

/** An amount in minor units as the currency writes it: 123450n in USD → "$1,234.50". */
export function money(minor: bigint | number | string, currency: CurrencyDisplay): string {
  return formatMinor(BigInt(minor), currency);
}

/**
 * The confirmation step of a destructive action: GET shows this page, its button POSTs the action. Nothing
 * changes until the button is pressed (no script needed).
 */
export interface Confirmation {
  title: string;
  message: string;
  action: string;
  submit: string;
  cancel: string;
  hidden?: Record<string, string>;
  /** Optional free-text field the action takes, e.g. a reason. */
  reason?: { name: string; label: string; required: boolean };
  /** Optional yes/no the action takes (posted as "on" when ticked), e.g. voiding with reissue. */
  option?: { name: string; label: string };
}

/** Shows a console confirmation page (status 200, or 400 with `errors` when the reason was missing). */
export function confirmStaffAction(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  confirm: Confirmation,
  extra: { errors?: Record<string, string | undefined>; values?: Record<string, string> } = {},
  status = 200,
): Promise<FastifyReply> {
  return staffPage(deps, request, reply, "confirm", { title: confirm.title, confirm, ...extra }, status);
}
