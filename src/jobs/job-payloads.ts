import { z } from "zod";
import "../kernel/plain-zod-wording.ts";
import { INVOICE_EVENTS } from "../billing/invoices/invoice-events.ts";

// Every job kind and what its payload holds. enqueue (enqueue-job.ts) validates a payload against its
// kind's schema before writing it, and the runner parses it again before the handler sees it. Schemas
// have no transforms, so what is stored is what the handler gets. Jobs written by an older version must
// still parse: widen a schema, never narrow it. The catalog (catalog.ts) gives each kind its retry policy,
// timeout and handler; this module stays a leaf so that everything that enqueues can import it.

const digits = z.string().regex(/^\d{1,19}$/);
const invoiceId = z.string().min(1);

export const SyncCustomerPayload = z.object({
  customerId: digits,
  /** Set when the customer was deleted in billing: what is needed to find and delete the SolusIO user. */
  deleted: z.object({ email: z.string(), solusioUserId: digits.nullable() }).optional(),
  /**
   * Set on the job written with the customer's creation: its first attempt may create the SolusIO user
   * without looking first. Any other job of a customer without a SolusIO user id looks it up by
   * billing_user_id first, since an earlier job may have created it (sync-customer.ts).
   */
  created: z.literal(true).optional(),
});

/** Something happened to an invoice (billing emits it); delivery fans it out into e-mail and webhooks. */
export const InvoiceEventPayload = z.object({
  invoice_id: invoiceId,
  event: z.enum(INVOICE_EVENTS),
  /** When it happened: the webhooks' created_at. */
  at: z.iso.datetime(),
  /** payment.received / payment.refunded: the payment (and the refund); credit_note.issued: the note. */
  payment_id: z.string().min(1).optional(),
  refund_id: z.string().min(1).optional(),
  credit_note_id: z.string().min(1).optional(),
});

/**
 * What an event named besides its invoice, copied into each delivery job it fans out into: the event job
 * is trimmed by housekeeping once done (RETENTION_JOBS_DAYS), while its deliveries may still be retrying.
 * Optional: jobs written before it had none (src/delivery/event-subject.ts reads their event job).
 */
const EventSubjectPayload = InvoiceEventPayload.omit({ invoice_id: true, at: true });

// Payloads hold ids, never invoice content: handlers read the invoice when they run, so a retry sends
// what the database holds.
export const InvoiceEmailPayload = z.object({
  invoice_id: invoiceId,
  subject: EventSubjectPayload.optional(),
});

export const InvoiceWebhookPayload = z.object({
  invoice_id: invoiceId,
  event: z.enum(INVOICE_EVENTS),
  /** The endpoint configured when the event happened. */
  url: z.string(),
  /** When the event happened (the body's created_at), the same on every attempt. */
  created_at: z.string(),
  subject: EventSubjectPayload.optional(),
});

/** The scheduled billing run of one period (billing-rules §5). */
export const ScheduledBillingPayload = z.object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/) });

/** Dunning (billing-rules §8) for one customer, right after a payment or a change that may end an episode. */
export const DunningEvaluatePayload = z.object({ customer_id: digits });

/** One dunning e-mail (billing-rules §8): the step that decided it; the text is rendered when it is sent. */
export const DunningEmailPayload = z.object({ episode_id: digits, step: z.string().min(1).max(100) });

/**
 * A portal login or reset link asked for on a public page. It holds the address as typed (normalised), not
 * the customer and never the link: the handler looks the customer up and mints the token when it runs, so
 * the request does the same work for a known and an unknown address, and no secret is ever stored in the job
 * table (portal-link-mail.ts).
 */
export const PortalLinkEmailPayload = z.object({
  email: z.string().min(3).max(254),
  purpose: z.enum(["magic_link", "password_reset"]),
});

/**
 * A credit note's card share, reserved in the note's transaction (a pending refund row): asks the provider
 * to make it when the note's own request did not get to (a crash after the commit) or got no answer.
 */
export const CreditNoteRefundPayload = z.object({ refund_id: z.string().regex(/^ref_[0-9a-f]{1,64}$/) });

/**
 * A reservation a provider's refund of another amount ended (apply-refund-fact.ts): looks, once any ask
 * still in flight must be over, for the reservation's own refund the provider may have made as well (its
 * answer and webhook lost), to record it (look-up-ended-reservation.ts).
 */
export const EndedReservationLookUpPayload = CreditNoteRefundPayload;

/**
 * A provider's refund of a payment that did not fit even with every reservation of it ended
 * (refund-beyond-payment.ts): looks up every refund the provider holds of the payment's charge and applies
 * each to tokenbill's rows as its webhook would, so a fact tokenbill missed (a refund's failure) is recorded
 * (look-up-charge-refunds.ts).
 */
export const ChargeRefundsLookUpPayload = z.object({ payment_id: z.string().regex(/^pay_[0-9a-f]{1,64}$/) });

/** Scheduled SolusIO work; the slot (poll:…, reconcile:…) says which round it is. */
export const NoPayload = z.object({});

export const JOB_PAYLOADS = {
  "solusio.sync_customer": SyncCustomerPayload,
  "invoice.event": InvoiceEventPayload,
  "invoice.email": InvoiceEmailPayload,
  "invoice.webhook": InvoiceWebhookPayload,
  "billing.scheduled_run": ScheduledBillingPayload,
  "solusio.poll_servers": NoPayload,
  "solusio.reconcile": NoPayload,
  "dunning.evaluate": DunningEvaluatePayload,
  /** The scheduled evaluation of every customer; the slot (dunning:…) says which round. */
  "dunning.scheduled_run": NoPayload,
  "dunning.email": DunningEmailPayload,
  "portal.link_email": PortalLinkEmailPayload,
  "credit_note.refund": CreditNoteRefundPayload,
  "refund.look_up_ended_reservation": EndedReservationLookUpPayload,
  "refund.look_up_charge": ChargeRefundsLookUpPayload,
} as const;

export type JobKind = keyof typeof JOB_PAYLOADS;
export type JobPayload<K extends JobKind> = z.output<(typeof JOB_PAYLOADS)[K]>;

export type SyncCustomerPayload = JobPayload<"solusio.sync_customer">;
export type InvoiceEventPayload = JobPayload<"invoice.event">;
export type InvoiceEmailPayload = JobPayload<"invoice.email">;
export type InvoiceWebhookPayload = JobPayload<"invoice.webhook">;
export type PortalLinkEmailPayload = JobPayload<"portal.link_email">;

/** "deleted.email: must be text; …": paths and reasons, never values. */
export function payloadIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; ");
}
