import { requireActor } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";

// Who a portal verb works for: always the session's customer (actors.customer), never an id from the URL or
// a form. Every portal verb starts here, so a staff session or an API key cannot reach these verbs either.

export function portalCustomerId(ctx: ServiceContext): bigint {
  return requireActor(ctx.actor, "customer").customerId;
}

/**
 * The portal's answer for any id that is not one of the customer's own records, malformed ids included: the
 * same NOT_FOUND whether the record is another customer's or does not exist, so nothing is confirmed.
 */
export function notYours(what: string): ServiceError {
  return new ServiceError("NOT_FOUND", `${what} not found`);
}

/** Ids the portal accepts in a path: a malformed one is simply not found (never a 400 naming the format). */
export function wellFormed(id: unknown, prefix: "inv" | "cn" | "pay" | "cs"): string | undefined {
  if (typeof id !== "string") return undefined;
  const pattern = prefix === "cs" ? /^cs_[A-Za-z0-9_]{1,200}$/ : new RegExp(`^${prefix}_[0-9a-f]{1,64}$`);
  return pattern.test(id) ? id : undefined;
}
