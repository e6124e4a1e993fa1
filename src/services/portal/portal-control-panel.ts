import { ServiceError } from "../../kernel/errors.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { createSsoUrl } from "../sso/single-sign-on.ts";
import { ssoUnavailable } from "../sso/sso-unavailable.ts";
import { requireSolusio } from "../sync/require-solusio.ts";
import { portalCustomerId } from "./portal-customer.ts";

// "Open control panel": a one-time login URL into the SolusIO user area (seed step 9, solusio-api.md §3) for
// the session's customer. createSsoUrl refuses suspended customers and users that are not the customer's
// own; its messages are written for operators, so the portal says the same things in the customer's terms.

export const openControlPanel = defineVerb(NoInput, async ({ ctx }): Promise<{ url: string }> => {
  const customerId = portalCustomerId(ctx);
  try {
    return { url: await createSsoUrl(ctx, requireSolusio(ctx).connection, customerId) };
  } catch (error) {
    // SolusIO failing (or not configured) in the customer's words, SolusIO's own kept for the log.
    const unavailable = ssoUnavailable(error);
    if (unavailable) throw unavailable;
    if (!(error instanceof ServiceError)) throw error;
    if (error.code === "FORBIDDEN")
      throw new ServiceError(
        "FORBIDDEN",
        "Your account is suspended, so the control panel is closed. Pay what is due, or contact support.",
      );
    if (error.code === "CONFLICT" || error.code === "NOT_FOUND")
      throw new ServiceError(
        "CONFLICT",
        "Your control panel account is not ready yet. Try again in a few minutes; if it stays so, contact support.",
      );
    throw error;
  }
});
