import type { FastifyReply, FastifyRequest } from "fastify";
import type { Customer } from "../../services/customers/customer-schemas.ts";
import { allowFormRedirects, controlPanelOrigin } from "../form-redirects.ts";
import { staffPage, when } from "../page-kit.ts";
import { getClientGroup } from "../../services/client-groups/client-groups.ts";
import type { FieldErrors } from "../render.ts";
import type { WebDeps } from "../web-deps.ts";
import { customerMoney } from "./customer-money.ts";
import { noticeFrom } from "./page-helpers.ts";
import { dunningCardOf } from "./dunning-view.ts";
import { FORM_KEY_FIELD, newFormKey } from "../form-once.ts";
import { REFUND_RELEASE_NOTICES, REFUND_UNCONFIRMED } from "./refund-release-notices.ts";

// The customer page (/console/customers/:id): its details, status, SolusIO, money and actions. Drawn by its
// GET, and again by an action whose form cannot be shown again (a status form that names no status), with
// the refusal above it.

export const CUSTOMER_NOTICES: Record<string, string> = {
  created: "The customer is created. It is queued for SolusIO; its sync state shows when it arrives.",
  updated: "The customer is saved.",
  deleted: "The customer is deleted. Its SolusIO user is deleted by a background job.",
  status_changed: "The customer's status is changed; SolusIO follows with the next sync.",
  sync_queued: "A new sync is queued.",
  refunded: "The refund is recorded.",
  refund_unconfirmed: REFUND_UNCONFIRMED,
  // A form sent again under its one-time key (src/web/form-once.ts): nothing was done the second time.
  created_before: "This form was sent before: this is the customer it created, and nothing new was created.",
  refunded_before: "This form was sent before: its refund is recorded once, and nothing more was refunded.",
  ...REFUND_RELEASE_NOTICES,
  dunning_exempted:
    "The customer is exempt from dunning: it takes no new step. What dunning already imposed stays until it pays or staff change the status.",
  dunning_exemption_ended:
    "The dunning exemption is ended: an evaluation is queued, so the ladder catches up at once.",
  dunning_exempted_before:
    "This form was sent before: the customer was exempted once, and nothing more was done.",
  dunning_exemption_ended_before:
    "This form was sent before: the exemption was ended once, and nothing more was done.",
  reconciled_clean: "SolusIO matches this customer: nothing to repair.",
  reconciled_fixed: "SolusIO differed from this customer; a sync is queued to repair it.",
  reconciled_conflict:
    "This customer's SolusIO user belongs to someone else or is an admin: billing will not take it over. See the sync error.",
  reconciled_limit_group:
    "This customer's limit group does not exist in SolusIO. Nothing was queued: run tokenbill solusio setup --apply to create the configured groups, or change the customer's group.",
  reconciled_unreadable:
    "This customer's SolusIO user has fields tokenbill cannot read (tokenbill solusio reconcile says which). Nothing was changed: fix that user in SolusIO, then reconcile again.",
};

/**
 * Said to staff instead of single sign-on while the customer is suspended: the verb refuses it in the
 * customer's words ("contact support to restore access"), which are no answer to staff.
 */
export const SSO_SUSPENDED =
  "Logging in to SolusIO as this customer is not possible while it is suspended: SolusIO would refuse the login. Activate the customer first if it should have access again.";

export const STATUS_BADGE: Record<string, string> = { active: "ok", locked: "warn", suspended: "bad" };
export const SYNC_BADGE: Record<string, string> = {
  in_sync: "ok",
  pending: "warn",
  failed: "bad",
  conflict: "bad",
};

export async function customerOverview(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  customer: Customer,
  extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
  status = 200,
): Promise<FastifyReply> {
  const ctx = deps.contextOf(request);
  const money = await customerMoney(ctx, request, customer.id);
  // Its "Log in to SolusIO" form ends in the SolusIO user area.
  allowFormRedirects(reply, [controlPanelOrigin(ctx)]);
  return staffPage(
    deps,
    request,
    reply,
    "console-customer",
    {
      title: customer.name || customer.email,
      customer,
      money,
      syncedAt: when(customer.sync.synced_at),
      createdAt: when(customer.created_at),
      clientGroup:
        customer.client_group_id === null
          ? undefined
          : await getClientGroup({ ctx, input: { id: customer.client_group_id } }),
      statusBadge: STATUS_BADGE,
      syncBadge: SYNC_BADGE,
      solusio: ctx.solusio !== undefined,
      ssoSuspended: SSO_SUSPENDED,
      dunning: await dunningCardOf(ctx, customer.id),
      // The exemption form's one-time key (src/web/form-once.ts), fresh each time the page is drawn.
      formKey: { name: FORM_KEY_FIELD, value: newFormKey() },
      notice: status === 200 ? noticeFrom(request, CUSTOMER_NOTICES) : undefined,
      values: {},
      ...extra,
    },
    status,
  );
}
