// What `tokenbill database …` does when one of its commands runs (database-commands.ts has the commands).
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { BackupInterrupted, partialBackupPath } from "../app/write-privately.ts";
import { interruptOnSignal, signalExitCode } from "./interrupt-signal.ts";
import type { Config } from "../config.ts";
import { jsonText } from "../kernel/json.ts";
import { refuseThrowAwayDatabase } from "./throw-away-database.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";
import { withConfig, withSystemContext } from "./with-context.ts";

/**
 * PostgreSQL is backed up with its own tools: a configuration these commands cannot work with, exit 78 as
 * for memory://. It was a conflict (4), which says the command may work once something else lets go; here
 * only another configuration helps (docs/operations.md, exit codes).
 */
function refusePostgres(config: Config, advice: string): void {
  if (config.DATABASE_URL)
    throw new UnfitConfigurationError(
      `DATABASE_URL is set: tokenbill backs up only its embedded database; ${advice} (docs/operations.md, "Backups")`,
    );
}

export async function backupAction(opts: { out: string; json?: boolean }): Promise<void> {
  await withConfig(async (config) => {
    refuseThrowAwayDatabase(config);
    refusePostgres(config, "back it up with pg_dump or your provider's snapshots");
    const out = resolve(opts.out);
    // Ctrl-C stops the write and removes its partial file; killed at once, the file stayed behind. A
    // second Ctrl-C while the database closes removes it there and then.
    const interruption = interruptOnSignal(() => rmSync(partialBackupPath(out), { force: true }));
    try {
      const { backupDataDir } = await import("../app/database-backup.ts");
      const size = await backupDataDir(config, out, interruption.signal);
      process.stdout.write(
        opts.json ? `${jsonText({ file: out, bytes: size }, 2)}\n` : `backup: ${out} (${size} bytes)\n`,
      );
    } catch (error) {
      const signal = interruption.received();
      if (!(error instanceof BackupInterrupted) || signal === undefined) throw error;
      process.stderr.write(`backup interrupted (${signal}): ${error.message}\n`);
      process.exitCode = signalExitCode(signal);
    } finally {
      interruption.release();
    }
  });
}

export async function restoreAction(opts: {
  from: string;
  replace?: boolean;
  json?: boolean;
}): Promise<void> {
  await withConfig(async (config) => {
    refuseThrowAwayDatabase(config);
    refusePostgres(config, "restore it with pg_restore or psql");
    const from = resolve(opts.from);
    const { restoreDataDir } = await import("../app/database-backup.ts");
    const result = await restoreDataDir(config, from, opts.replace === true);
    const { customers, invoices, payments } = result.counts;
    if (opts.json) {
      const restored = {
        from,
        data_dir: result.dataDir,
        counts: result.counts,
        migrated: result.migrated,
        replaced_to: result.replacedTo ?? null,
      };
      return void process.stdout.write(`${jsonText(restored, 2)}\n`);
    }
    process.stdout.write(
      `restored ${from} into ${result.dataDir}: ${customers} customers, ${invoices} invoices, ${payments} payments\n` +
        (result.migrated.length > 0 ? `migrated: ${result.migrated.join(", ")}\n` : "") +
        (result.replacedTo ? `the database that was there is kept in ${result.replacedTo}\n` : ""),
    );
  });
}

/**
 * Housekeeping's pass over the statement's late ledger rows, once: on PostgreSQL or the embedded database, and
 * beside a running serve through its socket (ARCHITECTURE.md, "Many processes"), as every command.
 */
export async function lateRowsAction(opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const { recordLateLedgerRows } = await import("../billing/payments/ledger-late-rows.ts");
    const pass = await recordLateLedgerRows(ctx);
    process.stdout.write(
      opts.json
        ? `${jsonText({ read: pass.read, added: pass.added, scanned_to: pass.scannedTo }, 2)}\n`
        : `late rows: read ${pass.read} balance rows above the watermark, ${pass.added} added; it is at ledger id ${pass.scannedTo}\n`,
    );
  });
}
