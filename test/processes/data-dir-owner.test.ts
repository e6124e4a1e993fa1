import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open-database.ts";
import { socketPathOf } from "../../src/db/pglite-socket-server.ts";
import { ServiceError } from "../../src/kernel/errors.ts";
import { testTempDir } from "../helpers/test-temp-dir.ts";

// Who may open an embedded DATA_DIR that another live process holds: a command reaches a serve's database
// through its socket (cli-beside-serve.test.ts); anything else is a clear CONFLICT, never a second copy.

/** A DATA_DIR whose lock names a live process other than this one (the test runner's parent). */
function heldDataDir(): string {
  const dir = testTempDir("tb-held-");
  writeFileSync(join(dir, ".tokenbill.lock"), String(process.ppid), { mode: 0o600 });
  return dir;
}

describe("an embedded database held by another process", () => {
  it("is refused with the holder's pid when the holder shares no socket", async () => {
    const dir = heldDataDir();
    const error = await openDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe("CONFLICT");
    expect((error as ServiceError).message).toContain(`pid ${process.ppid}`);
  });

  it("is refused, not half-opened, when the holder's socket does not answer", async () => {
    const dir = heldDataDir();
    // A file where the socket should be: what a stopping serve may leave for a moment.
    writeFileSync(socketPathOf(dir), "");
    const error = await openDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe("CONFLICT");
    expect((error as ServiceError).message).toContain("socket does not answer");
    // The socket's own error, once: not wrapped as an outage inside the refusal.
    expect((error as ServiceError).message).toMatch(/socket does not answer \(connect E[A-Z]+ /);
  });

  it("is refused to a second serve even while the first shares it", async () => {
    const dir = heldDataDir();
    writeFileSync(socketPathOf(dir), "");
    const error = await openDatabase({ dataDir: dir, share: true }).catch((e: unknown) => e);
    expect((error as ServiceError).code).toBe("CONFLICT");
    expect((error as ServiceError).message).toContain("in use by another tokenbill process");
  });
});
