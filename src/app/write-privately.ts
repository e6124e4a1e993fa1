import { createWriteStream, existsSync, linkSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import type { Writable } from "node:stream";
import { ServiceError } from "../kernel/errors.ts";

/** A write stopped by its caller's signal (Ctrl-C): its partial file is removed and `out` is not made. */
export class BackupInterrupted extends Error {
  constructor(out: string) {
    super(`${out} was not written`);
  }
}

/** The file a backup to `out` is streamed into before it is whole (docs/operations.md, "Backups"). */
export function partialBackupPath(out: string): string {
  return `${out}.partial-${process.pid}`;
}

/**
 * Written whole or not at all, readable by its owner only: a backup holds every secret's hash. Streamed into a
 * file beside `path` (the same file system) and given its name once whole, never over a file that took the
 * name meanwhile. Returns its size.
 */
export async function writePrivately(
  path: string,
  write: (into: Writable) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<number> {
  const partial = partialBackupPath(path);
  let into: Writable | undefined;
  try {
    // Opened here, not by the stream: the file exists from now on, so removing it below cannot run before a
    // stream's own open, still pending when a signal stops the write, makes it.
    into = createWriteStream(partial, { fd: openSync(partial, "wx", 0o600) });
    await write(into);
    placeWithoutReplacing(partial, path);
    return statSync(path).size;
  } catch (error) {
    // Closed even when the write failed before it used the stream (a failed CHECKPOINT).
    into?.destroy();
    rmSync(partial, { force: true });
    if (signal?.aborted) throw new BackupInterrupted(path);
    if (error instanceof ServiceError) throw error;
    // The file system's refusal (no space, no permission) in one line, not a stack trace.
    throw new ServiceError("INTERNAL", `could not write the backup to ${path}: ${(error as Error).message}`);
  }
}

type Link = (existing: string, name: string) => void;

/**
 * Gives `from` the name `to` unless something has that name by now (made while the backup was written, which
 * for a large one is minutes): a hard link fails when the name exists, where a rename would replace the file.
 * On a file system without hard links the rename is kept, after a last look.
 */
export function placeWithoutReplacing(from: string, to: string, link: Link = linkSync): void {
  try {
    link(from, to);
    rmSync(from, { force: true });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw appeared(to);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
  }
  if (existsSync(to)) throw appeared(to);
  renameSync(from, to);
}

function appeared(to: string): ServiceError {
  return new ServiceError(
    "CONFLICT",
    `${to} was created by something else while the backup was written; it was left as it is and the backup ` +
      "was not kept: name a new file",
  );
}
