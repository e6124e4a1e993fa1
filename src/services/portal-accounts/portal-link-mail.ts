import { publicUrl } from "../../config.ts";
import { enqueue } from "../../jobs/enqueue-job.ts";
import type { JobKind, PortalLinkEmailPayload } from "../../jobs/job-payloads.ts";
import type { JobHandler } from "../../jobs/job-runner.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { StaffEmail } from "../staff/staff-users.ts";
import type { PortalMailer, PortalMessage } from "./portal-mail.ts";
import { issuePortalToken, type PortalTokenPurpose } from "./portal-tokens.ts";

// A login or reset link goes out through the job queue, not inside the request: sending over SMTP took
// ~0.5 s, so the answer's time told whether an address belonged to a customer. The request only writes a
// `portal.link_email` job holding the address it was given; the job looks the customer up, mints the token
// (its SHA-256 stored, as ever) and sends the mail. So the request does the same work whether the address is
// known or not, and the token exists only in the job's memory and the message: the job table, its retries'
// errors and the log never hold it. A retry mints a new token, which retires the one the failed attempt made.

export const PORTAL_LINK_EMAIL_JOB = "portal.link_email" satisfies JobKind;

const LINKS: Record<PortalTokenPurpose, { subject: string; open: string; lifetime: string }> = {
  magic_link: { subject: "Your login link", open: "/portal/login/link/open", lifetime: "15 minutes" },
  password_reset: {
    subject: "Reset your password",
    open: "/portal/password-reset/new",
    lifetime: "one hour",
  },
};

/**
 * Queues the link for this address; nothing is looked up here (see above). An address that is not one
 * (the page checks only its shape) queues nothing, as no customer could have it.
 */
export async function requestPortalLink(
  ctx: Pick<ServiceContext, "db">,
  email: string,
  purpose: PortalTokenPurpose,
): Promise<void> {
  const parsed = StaffEmail.safeParse(email);
  if (!parsed.success) return;
  // One address's links go out in the order asked, so the last mail holds the link that works.
  await enqueue(
    ctx.db,
    PORTAL_LINK_EMAIL_JOB,
    { email: parsed.data, purpose },
    { orderingKey: `portal_link:${parsed.data}` },
  );
}

/** `portal.link_email`: mints the customer's token and mails the link; no customer, no mail. */
export function portalLinkEmailHandler(
  ctx: ServiceContext,
  mailer: PortalMailer,
): JobHandler<PortalLinkEmailPayload> {
  return async (job, run) => {
    const { purpose } = job.payload;
    const log = { job: String(job.id), kind: PORTAL_LINK_EMAIL_JOB, purpose };
    const issued = await issuePortalToken(ctx, job.payload.email, purpose);
    if (!issued) {
      // The address is not logged: anyone may type any address into the public page.
      ctx.logger.info(log, "portal link not sent: no customer has the address");
      return;
    }
    // Given up on by the runner meanwhile (JobRun.signal): the next attempt mints another token and sends it.
    run?.signal.throwIfAborted();
    await mailer.send(portalLinkMessage(ctx, issued, purpose));
    ctx.logger.info({ ...log, customer: String(issued.customer.id) }, "portal link e-mailed");
  };
}

/** The message, with the link built on TOKENBILL_PUBLIC_URL (never on a request's Host header). */
function portalLinkMessage(
  ctx: Pick<ServiceContext, "config">,
  issued: { customer: { email: string; name: string }; token: string },
  purpose: PortalTokenPurpose,
): PortalMessage {
  const spec = LINKS[purpose];
  const link = `${publicUrl(ctx.config).replace(/\/$/, "")}${spec.open}?token=${encodeURIComponent(issued.token)}`;
  const greeting = issued.customer.name || issued.customer.email;
  return {
    to: issued.customer.email,
    subject: spec.subject,
    text: `Hello ${greeting},\n\nOpen this link within ${spec.lifetime}; it works once:\n${link}\n\nIf you did not ask for it, ignore this message.\n`,
  };
}
