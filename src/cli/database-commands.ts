import type { Command } from "commander";

// `tokenbill database …`: the commands, their options and their words. What they do is in
// database-actions.ts, imported when one of them runs, not for --help (light-commands-load.test.ts).

/** The commands' actions, imported when one runs. */
const actions = () => import("./database-actions.ts");

/**
 * The `database` group's commands: backup and restore of the embedded database (docs/operations.md), and
 * housekeeping's pass over the statement's late ledger rows on either database. The database itself
 * (database-backup.ts: PGlite and pg) is imported when one runs, not for `--help`.
 */
export function addDatabaseCommands(database: Command): void {
  database
    .command("backup")
    .description(
      "write a backup of the embedded database (DATA_DIR) to a new owner-only file; with `serve` running, download it from serve instead",
    )
    .requiredOption("--out <file>", "the file to write (refused if it exists)")
    .option("--json", 'print {"file", "bytes"} as JSON')
    .action(async (opts: { out: string; json?: boolean }) => (await actions()).backupAction(opts));
  database
    .command("restore")
    .description(
      "put a backup in DATA_DIR, migrated to this version; refused while a process holds DATA_DIR, or while it holds a database unless --replace",
    )
    .requiredOption("--from <file>", "the backup file")
    .option("--replace", "move the database in DATA_DIR aside (it is kept) and restore in its place")
    .option("--json", "print what was restored as JSON")
    .action(async (opts: { from: string; replace?: boolean; json?: boolean }) =>
      (await actions()).restoreAction(opts),
    );
  database
    .command("late-rows")
    .description(
      "run housekeeping's pass over the ledger once: add the statement's late balance rows above its watermark to ledger_late_entry (as every HOUSEKEEPING_INTERVAL_MS round does; 0 runs none)",
    )
    .option("--json", 'print {"read", "added", "scanned_to"} as JSON')
    .action(async (opts: { json?: boolean }) => (await actions()).lateRowsAction(opts));
}
