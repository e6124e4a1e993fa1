import type { SolusioConnection } from "../../solusio/connect-solusio.ts";
import {
  bindOrCheck,
  identifySolusio,
  readBinding,
  rebind,
  type SolusioBinding,
} from "../../solusio/solusio-binding.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { withTransaction } from "../../kernel/transaction.ts";

// `tokenbill solusio bind`: the operator's view of, and say over, which SolusIO the database belongs to.

/**
 * Binds the database to `connection`'s SolusIO when it belongs to none, confirms it when it is already
 * the one, and refuses another (CONFLICT) unless `force`: then the binding moves, with an audit row.
 */
export async function bindDatabase(
  ctx: ServiceContext,
  connection: SolusioConnection,
  options: { force: boolean },
): Promise<SolusioBinding> {
  const found = await identifySolusio(connection);
  if (!options.force) return bindOrCheck(ctx.db, found);
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const before = await readBinding(trx);
    const after = await rebind(trx, found);
    await recordAudit(trx, ctx, {
      action: "rebind",
      entity: "solusio_binding",
      entityId: "database",
      before: before ?? null,
      after,
    });
    return after;
  });
}
