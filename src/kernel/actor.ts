import type { ApiKeyRole } from "../db/schema.ts";
import { ServiceError } from "./errors.ts";

// Who is acting: a closed union that each adapter builds — the HTTP server from the
// credential it checked, the CLI, the job runner and schedules, later the staff console, the customer
// portal and payment providers' webhooks. Verbs read it to decide what the caller may see and do; the
// audit log records it as its label.

export type Actor =
  /**
   * An admin API key, with the role its row holds. The role is read with the key on every request (the access
   * check reads the row anyway, nothing caches keys) and a key's role never changes, so carrying it here is
   * exact for the whole request and costs the verbs no query; it has no default, so nothing builds a key's
   * actor without saying what it may do.
   */
  | { kind: "admin_key"; keyId: string; role: ApiKeyRole }
  | { kind: "env_key" }
  | { kind: "cli" }
  | { kind: "system"; job: string }
  | { kind: "staff"; userId: string }
  | { kind: "customer"; customerId: bigint }
  | { kind: "webhook"; source: string }
  /** A public request that has proved nothing yet (a signed link before it is checked). */
  | { kind: "anonymous" };

export type ActorKind = Actor["kind"];

export const actors = {
  adminKey: (keyId: string, role: ApiKeyRole): Actor => ({ kind: "admin_key", keyId, role }),
  envKey: (): Actor => ({ kind: "env_key" }),
  cli: (): Actor => ({ kind: "cli" }),
  system: (job: string): Actor => ({ kind: "system", job }),
  staff: (userId: string): Actor => ({ kind: "staff", userId }),
  customer: (customerId: bigint): Actor => ({ kind: "customer", customerId }),
  webhook: (source: string): Actor => ({ kind: "webhook", source }),
  anonymous: (): Actor => ({ kind: "anonymous" }),
};

/** The audit log's and the logs' spelling of an actor: `apikey:key_…`, `env-admin-key`, `cli`, `system:scheduler`, … */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case "admin_key":
      return `apikey:${actor.keyId}`;
    case "env_key":
      return "env-admin-key";
    case "cli":
      return "cli";
    case "system":
      return `system:${actor.job}`;
    case "staff":
      return `staff:${actor.userId}`;
    case "customer":
      return `customer:${actor.customerId}`;
    case "webhook":
      return `webhook:${actor.source}`;
    case "anonymous":
      return "anonymous";
  }
}

/** Staff-side actors: whoever holds an admin credential or runs tokenbill itself. */
const OPERATORS: readonly ActorKind[] = ["admin_key", "env_key", "cli", "system", "staff"];

/** Refuses (FORBIDDEN) any actor whose kind is not listed; the first line of a verb that limits callers. */
export function requireActor<K extends ActorKind>(actor: Actor, ...kinds: K[]): Extract<Actor, { kind: K }> {
  if (!(kinds as ActorKind[]).includes(actor.kind))
    throw new ServiceError("FORBIDDEN", `${actorLabel(actor)} may not do this`);
  return actor as Extract<Actor, { kind: K }>;
}

/**
 * The customer whose records a verb may touch. An operator names one in the input; a customer is always
 * itself, whatever the input says, and asking for another customer's records is NOT_FOUND, so a portal
 * cannot even learn that another customer's record exists.
 */
export function customerScope(actor: Actor, requested: bigint | undefined): bigint | undefined {
  if (actor.kind === "customer") {
    if (requested !== undefined && requested !== actor.customerId)
      throw ServiceError.notFound(`customer ${requested}`);
    return actor.customerId;
  }
  if (!OPERATORS.includes(actor.kind))
    throw new ServiceError("FORBIDDEN", `${actorLabel(actor)} may not do this`);
  return requested;
}
