import { z } from "zod";
import {
  CreditNote,
  CreditNoteBody,
  CreditNoteIdParams,
  CreditNoteListQuery,
  SettledCreditNote,
} from "../../billing/credit-notes/credit-note-schemas.ts";
import { getCreditNote, listCreditNotes } from "../../billing/credit-notes/get-credit-note.ts";
import { issueCreditNote } from "../../billing/credit-notes/issue-credit-note.ts";
import { InvoiceIdParams } from "../../billing/invoices/invoice-schemas.ts";
import { getPayment, listPayments } from "../../billing/payments/get-payment.ts";
import {
  Payment,
  PaymentBody,
  PaymentIdParams,
  PaymentListQuery,
  Refund,
  RefundBody,
} from "../../billing/payments/payment-schemas.ts";
import { type RecordPaymentResult, recordPayment } from "../../billing/payments/record-payment.ts";
import { refundPayment } from "../../billing/payments/refund.ts";
import type { ProviderRefundOutcome } from "../../billing/providers/refund-through-provider.ts";
import { getCustomerStatement, Statement } from "../../billing/payments/statement.ts";
import {
  RefundIdParams,
  RefundRelease,
  ReleaseRefundBody,
  releaseRefundReservation,
} from "../../billing/providers/release-refund-reservation.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { type AnyRouteSpec, defineRoute } from "../route.ts";

// Money in (billing-rules §7, docs/payments.md): payments, refunds, credit notes, the statement. Amounts
// are integers in minor units.

/**
 * Recording a payment answers 201 with the new payment, or 200 with the existing one when its (method,
 * reference) was recorded before (idempotent by that natural key, so no Idempotency-Key header).
 */
const recordingAnswers = {
  of: (result: unknown) => {
    const { created, payment } = result as RecordPaymentResult;
    return { created, data: payment };
  },
  description:
    "This method and reference were recorded before with the same payment: that payment, nothing written",
};

const paymentRecordingRoutes: AnyRouteSpec[] = [
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/payments",
    tag: "payments",
    summary:
      "Record a payment against an invoice (201; the same method and reference again: 200 with the same payment)",
    params: InvoiceIdParams,
    body: PaymentBody,
    response: Payment,
    status: 201,
    idempotent: true,
    repeatAnswers: recordingAnswers,
    handler: ({ ctx, params, body }): Promise<RecordPaymentResult> =>
      recordPayment({ ctx, input: { ...body, invoice_id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/customers/{id}/payments",
    tag: "payments",
    summary:
      "Record a payment of the customer, allocated to the oldest open invoices first (by due date, then number); the rest becomes credit",
    params: IdParams,
    body: PaymentBody,
    response: Payment,
    status: 201,
    idempotent: true,
    repeatAnswers: recordingAnswers,
    handler: ({ ctx, params, body }): Promise<RecordPaymentResult> =>
      recordPayment({ ctx, input: { ...body, customer_id: params.id } }),
  }),
];

export const paymentRoutes: AnyRouteSpec[] = [
  ...paymentRecordingRoutes,
  defineRoute({
    method: "GET",
    url: "/api/v1/payments",
    tag: "payments",
    summary:
      "List payments, newest first, of a customer or an invoice (recorded against it or allocated to it), by method, currency and the days received (received_from / received_to, inclusive, days in BILLING_TIME_ZONE)",
    query: PaymentListQuery,
    response: z.array(Payment),
    paged: "cursor",
    handler: ({ ctx, query }) => listPayments({ ctx, input: query }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/payments/{id}",
    tag: "payments",
    summary: "A payment: its allocations to invoices, the credit it left, its refunds",
    params: PaymentIdParams,
    response: Payment,
    handler: ({ ctx, params }) => getPayment({ ctx, input: params }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/payments/{id}/refunds",
    tag: "payments",
    summary:
      "Refund (part of) a payment, made by hand: takes back its unused credit first, then reopens its invoices newest first",
    params: PaymentIdParams,
    body: RefundBody,
    response: Refund,
    status: 201,
    idempotent: true,
    acceptedAnswers: {
      of: (result) => {
        const { refund, confirmed } = result as ProviderRefundOutcome;
        return { accepted: !confirmed, data: refund };
      },
      description:
        "The payment provider did not say whether it made the refund (no answer, or its 5xx): the refund is pending and holds its amount until the provider's webhook settles it, or POST /api/v1/refunds/{id}/release after 15 minutes; do not refund again",
    },
    handler: ({ ctx, params, body }) => refundPayment({ ctx, input: { ...body, payment_id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/refunds/{id}/release",
    tag: "payments",
    summary:
      "Release a refund reservation left pending when its provider call never ran: asks the provider, settles what it has as its webhook would, else fails the reservation and frees its amount (409 when not pending or too young)",
    params: RefundIdParams,
    body: ReleaseRefundBody.optional(),
    response: RefundRelease,
    handler: ({ ctx, params, body }) =>
      releaseRefundReservation({ ctx, input: { ...(body ?? {}), refund_id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/credit-notes",
    tag: "payments",
    summary:
      "Issue a credit note (a net amount, or amounts per invoice line; taxes by billing-rules §4) against an issued invoice",
    params: InvoiceIdParams,
    body: CreditNoteBody,
    response: CreditNote,
    status: 201,
    idempotent: true,
    handler: ({ ctx, params, body }) => issueCreditNote({ ctx, input: { ...body, invoice_id: params.id } }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/credit-notes",
    tag: "payments",
    summary:
      "List credit notes by number, of a customer or an invoice, or by where their money went (settled: invoice, refund or credit, as the portal filters; not the settlement asked for), each with how much went each way",
    query: CreditNoteListQuery,
    response: z.array(SettledCreditNote),
    paged: "cursor",
    handler: ({ ctx, query }) => listCreditNotes({ ctx, input: query }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/credit-notes/{id}",
    tag: "payments",
    summary: "A credit note, with how much of its total went each way (settled: invoice, refund, credit)",
    params: CreditNoteIdParams,
    response: SettledCreditNote,
    handler: ({ ctx, params }) => getCreditNote({ ctx, input: params }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/customers/{id}/statement",
    tag: "payments",
    summary:
      "The customer's statement: every invoice, payment, refund, credit note and credit applied, with the running balance",
    params: IdParams,
    response: Statement,
    handler: ({ ctx, params }) => getCustomerStatement({ ctx, input: params }),
  }),
];
