import type { DatabaseHandle } from "../db/open-database.ts";

/** PGlite's shutdown resets process.exitCode; a command's verdict (doctor's 1, say) must survive it. */
export async function closePreservingExitCode(handle: DatabaseHandle): Promise<void> {
  const code = process.exitCode;
  await handle.close();
  process.exitCode = code;
}
