import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError, UpstreamError } from "../../kernel/errors.ts";
import { isOwnedBy } from "../sync/adoption.ts";
import { requireSolusio } from "../sync/require-solusio.ts";

/**
 * Refuses to delete a customer whose SolusIO user still has servers. SolusIO will not delete such a user
 * (422), so the deletion job would fail for good after the customer row was gone: the user and its servers
 * would run on, never billed again. Asked while a person waits (SolusioApi.interactive), before the delete's
 * transaction (no outside call inside one); when SolusIO cannot be asked, nothing is deleted either.
 */
export async function assertNoSolusioServers(
  ctx: ServiceContext,
  customerId: bigint,
  solusioUserId: bigint | null,
): Promise<void> {
  if (solusioUserId === null) return;
  const who = `customer ${customerId}'s SolusIO user ${solusioUserId}`;
  let servers: number;
  try {
    const api = requireSolusio(ctx).connection.api.interactive();
    const user = await api.getUser(Number(solusioUserId));
    // Gone, or no longer this customer's: the deletion job leaves such a user alone (sync-customer.ts).
    if (!user || !isOwnedBy(user, Number(customerId))) return;
    servers = await api.countUserServers(user.id);
  } catch (error) {
    const cause = error instanceof ServiceError ? error.message : describeUpstream(error);
    if (cause === undefined) throw error;
    throw new ServiceError(
      "UPSTREAM_UNAVAILABLE",
      `could not ask SolusIO whether ${who} has servers (${cause}); the customer was not deleted: retry later`,
    );
  }
  if (servers === 0) return;
  throw new ServiceError(
    "CONFLICT",
    `${who} has ${servers} ${servers === 1 ? "server" : "servers"}, and SolusIO deletes no user that has ` +
      "servers: the customer was not deleted. Delete the servers in SolusIO first, or suspend or lock the " +
      "customer instead",
  );
}

function describeUpstream(error: unknown): string | undefined {
  return error instanceof UpstreamError ? `${error.upstream}: ${error.message}` : undefined;
}
