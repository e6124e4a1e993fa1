import { randomBytes } from "node:crypto";
import { createWriteStream, readdirSync, rmSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/**
 * A backup on its way out: its size, known before the first byte is sent, and its bytes as a stream. The
 * stream errors (never ends early) when the archive cannot be read to its end.
 */
export interface BackupStream {
  bytes: number;
  stream: Readable;
}

/** The spool files' names start with this; a backup and a restore leave them out (pack-data-dir.ts). */
export const SPOOL_PREFIX = ".tokenbill-backup-";

/**
 * `write`'s archive, written to an owner-only file in `dir` and answered as a stream of that file. The archive
 * is made inside a transaction that holds PGlite's one session, so it goes to disk at disk speed, not at the
 * client's: a slow or stalled download would otherwise stop every request and job of serve for as long as it
 * lasts. The file is unlinked once opened, so its space is freed when the stream is closed, however it ends.
 */
export async function spoolBackup(
  dir: string,
  write: (into: Writable, signal?: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<BackupStream> {
  const path = join(dir, `${SPOOL_PREFIX}${randomBytes(6).toString("hex")}.tar.gz`);
  try {
    await write(createWriteStream(path, { flags: "wx", mode: 0o600 }), signal);
    const file = await open(path, "r");
    try {
      await rm(path);
      const { size } = await file.stat();
      return { bytes: size, stream: file.createReadStream({ highWaterMark: 1024 * 1024 }) };
    } catch (error) {
      await file.close();
      throw error;
    }
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/**
 * Removes the spool files a process that died while packing left in `dir`. Call it only while holding the
 * directory's lock: no other process packs there then, and this process's streams have unlinked theirs.
 */
export function removeLeftSpools(dir: string): void {
  for (const name of readdirSync(dir))
    if (name.startsWith(SPOOL_PREFIX)) rmSync(join(dir, name), { force: true });
}
