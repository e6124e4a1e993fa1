import type { UnreadableItem } from "./solusio-client.ts";
import { SolusioError } from "./solusio-error.ts";

// A SolusIO user that does not match tokenbill's schema (a status a newer SolusIO added, an e-mail that is
// not text, a billing_user_id another module wrote as "12a") is set apart from the list it came in, so that
// one odd user does not stop every lookup, every sync and the reconciliation. A lookup still refuses to
// decide when the odd user may be the one looked for: taking "nobody holds it" would create a second user
// for the customer, or hand the customer another person's account.

/** Whether an unreadable user may be the one with this e-mail (the same text, in any case). */
export function mayHoldEmail(item: UnreadableItem, email: string): boolean {
  const raw = field(item, "email");
  return typeof raw === "string" && raw.toLowerCase() === email.toLowerCase();
}

/**
 * Whether an unreadable user may carry this billing_user_id: the same whole number, as a number or as
 * digits. Anything else is not a value tokenbill writes, so not one of its customers.
 */
export function mayHoldBillingId(item: UnreadableItem, billingUserId: number): boolean {
  const raw = field(item, "billing_user_id");
  if (typeof raw === "number") return raw === billingUserId;
  return typeof raw === "string" && /^\d{1,30}$/.test(raw) && BigInt(raw) === BigInt(billingUserId);
}

/** The refusal of a lookup whose answer may be an unreadable user: a person has to look at that user. */
export function unreadableUserError(item: UnreadableItem, lookedFor: string): SolusioError {
  const who = item.id === null ? "a SolusIO user without a readable id" : `SolusIO user ${item.id}`;
  return new SolusioError(
    `GET users: ${who} may hold ${lookedFor} but cannot be read (${item.problem}); tokenbill does not decide who holds it until that user is fixed in SolusIO`,
    200,
    false,
  );
}

function field(item: UnreadableItem, name: string): unknown {
  return typeof item.raw === "object" && item.raw !== null
    ? (item.raw as Record<string, unknown>)[name]
    : undefined;
}
