import type { FastifyRequest } from "fastify";
import { isServiceError } from "../../kernel/errors.ts";
import type { FieldErrors } from "../render.ts";
import { sentence } from "../page-sentence.ts";
import { hiddenFieldText } from "../page-text-input.ts";

// What the portal says after a POST redirected back (303 to `?notice=<key>`): fixed texts chosen by key, so
// no URL text is ever echoed into a page. Plus the shared small helpers of the portal's pages.

const NOTICES: Record<string, string> = {
  profile_saved: "Your profile is saved.",
  password_changed: "Your password is changed. Every other session of yours has been logged out.",
  payment_returned:
    "Thank you. Your payment is being confirmed by the payment provider; this page shows the invoice as paid as soon as it is. Reload the page to check.",
  not_payable: "This invoice cannot be paid online right now: it may have been paid meanwhile.",
};

/**
 * The notices an invoice's page says instead once the invoice is paid: the address the checkout's return
 * opened stays in the address bar, and a reload, as the notice asks, must not go on saying "being confirmed".
 */
const PAID_NOTICES: Record<string, string> = {
  payment_returned: "Thank you. Your payment is confirmed: this invoice is paid.",
  not_payable: "This invoice is paid: there is nothing left to pay.",
};

export function portalNoticeOf(request: FastifyRequest, invoice?: { status: string }): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.["notice"];
  if (typeof key !== "string" || !Object.hasOwn(NOTICES, key)) return undefined;
  return (invoice?.status === "paid" ? PAID_NOTICES[key] : undefined) ?? NOTICES[key];
}

/** A verb's VALIDATION error as messages next to its fields; undefined for any other error (rethrow it). */
export function fieldErrorsOf(error: unknown, known: readonly string[]): FieldErrors | undefined {
  if (!isServiceError(error) || error.code !== "VALIDATION") return undefined;
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = known.includes(issue.field) ? issue.field : "form";
    const hidden = field === "form" ? hiddenFieldText(issue) : undefined;
    errors[field] ??= hidden ?? sentence(issue.message);
  }
  if (Object.keys(errors).length === 0) errors["form"] = error.message;
  return errors;
}

/** The badge class of an invoice status: paid is good news, anything owed a warning. */
export function statusBadge(status: string): string {
  if (status === "paid") return "ok";
  if (status === "finalized" || status === "partially_paid") return "warn";
  return "";
}

export const STATUS_TEXT: Record<string, string> = {
  finalized: "unpaid",
  partially_paid: "partly paid",
  paid: "paid",
  void: "void",
  draft: "draft",
};

export const CUSTOMER = { config: { access: "customer" as const } };

/** A portal form that shows itself again on a refusal, control characters included (page-text-input.ts). */
export const CUSTOMER_FORM = { config: { access: "customer" as const, reshowsForm: true } };
