import { buffer } from "node:stream/consumers";
import type { DatabaseHandle } from "../open-database.ts";

/** A handle's backup read whole, for tests that look inside a small one. */
export async function backupBytes(handle: DatabaseHandle): Promise<Buffer> {
  return buffer((await handle.backup!()).stream);
}
