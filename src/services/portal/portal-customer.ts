import { requireActor } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";

// Who a portal verb works for: always the session's customer (actors.customer), never an id from the URL or
// a form. Every portal verb starts here, so a staff session or an API key cannot reach these verbs either.

export function portalCustomerId(ctx: ServiceContext): bigint {
  return requireActor(ctx.actor, "customer").customerId;
}

/** The kinds of record a customer names by id in the portal, by their ids' prefix. */
type PortalIdPrefix = "inv" | "cn" | "pay" | "cs";

/**
 * One of the session customer's own records, by an id the customer gave: a malformed id is not found without a
 * query, and any miss, a record that is not there or is another customer's, is the same NOT_FOUND ("invoice not
 * found"), so nothing confirms that another customer's record exists. `find` reads the record by its id alone;
 * whose it is is checked here, so no lookup can forget it.
 */
export async function ownRecord<Row extends { customer_id: bigint }>(
  ctx: ServiceContext,
  record: { id: unknown; prefix: PortalIdPrefix; noun: string },
  find: (id: string) => Promise<Row | undefined>,
): Promise<Row> {
  const customerId = portalCustomerId(ctx);
  const wanted = wellFormed(record.id, record.prefix);
  const row = wanted === undefined ? undefined : await find(wanted);
  if (row === undefined || row.customer_id !== customerId)
    throw new ServiceError("NOT_FOUND", `${record.noun} not found`);
  return row;
}

/** Ids the portal accepts in a path: a malformed one is simply not found (never a 400 naming the format). */
function wellFormed(id: unknown, prefix: PortalIdPrefix): string | undefined {
  if (typeof id !== "string") return undefined;
  const pattern = prefix === "cs" ? /^cs_[A-Za-z0-9_]{1,200}$/ : new RegExp(`^${prefix}_[0-9a-f]{1,64}$`);
  return pattern.test(id) ? id : undefined;
}
