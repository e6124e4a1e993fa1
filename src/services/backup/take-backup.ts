import type { BackupStream } from "../../db/backup-spool.ts";
import { fileStamp } from "../../db/embedded-backup.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

/** A backup's file name: tokenbill-backup-20261204T210512Z.tar.gz. */
export const backupFileName = (at: Date) => `tokenbill-backup-${fileStamp(at)}.tar.gz`;

/**
 * A backup of the embedded database (docs/operations.md, "Backups"): it holds every customer's data and the
 * hashes of every secret, so only admins take one, and each is audited. PostgreSQL is backed up with its own
 * tools, which keep several instances' work consistent. `ctx.signal` stops it while it is being made (the
 * client went away); the caller sends the stream, or destroys it.
 */
export const takeBackup = defineVerb(NoInput, async ({ ctx }): Promise<BackupStream> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  if (!ctx.backup)
    throw new ServiceError(
      "CONFLICT",
      'tokenbill backs up only its embedded database; back up PostgreSQL with pg_dump or your provider\'s snapshots (docs/operations.md, "Backups")',
    );
  const backup = await ctx.backup(ctx.signal);
  try {
    await withTransaction(ctx, (tx) =>
      recordAudit(tx.db, ctx, {
        action: "backup",
        entity: "database",
        entityId: "embedded",
        before: null,
        after: { bytes: backup.bytes },
      }),
    );
  } catch (error) {
    // Not audited, not answered: the spooled archive's file is closed (and so freed).
    backup.stream.destroy();
    throw error;
  }
  return backup;
});
