import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open-database.ts";
import { socketPathOf } from "../../src/db/pglite-socket-server.ts";
import { ServiceError } from "../../src/kernel/errors.ts";
import { processRun } from "../../src/db/process-run.ts";
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
    // It was told to try again in a moment, as a command may once serve shares: a second serve never gets in.
    expect((error as ServiceError).message).toContain("only one serve may run on it");
    expect((error as ServiceError).message).not.toContain("try again");
  });
});

describe("the advice when the embedded database is held", () => {
  it("names the admin API, not a moment's wait, when DATA_DIR's path is too long for serve's socket", async () => {
    // serve never shares such a directory (pglite-socket-server.ts): waiting would not help.
    const dir = join(heldDataDir(), "d".repeat(60), "e".repeat(40));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".tokenbill.lock"), String(process.ppid), { mode: 0o600 });
    const message = ((await openDatabase({ dataDir: dir }).catch((e: unknown) => e)) as ServiceError).message;
    expect(message).toMatch(/DATA_DIR's path is too long \(\d+ bytes with the socket's name, at most 103\)/);
    expect(message).toContain(
      "use its admin API (/api/v1) while it runs, or move DATA_DIR to a shorter path",
    );
    expect(message).not.toContain("try again in a moment");
  });

  it("says how to tell a stale lock when it cannot tell itself (a lock that recorded no run)", async () => {
    const dir = heldDataDir();
    const message = ((await openDatabase({ dataDir: dir }).catch((e: unknown) => e)) as ServiceError).message;
    expect(message).toContain(
      `If pid ${process.ppid} is not tokenbill (its pid was used again after tokenbill was killed), the lock is stale: delete ${join(dir, ".tokenbill.lock")}.`,
    );
  });

  it.runIf(processRun(process.pid) !== undefined)(
    "takes over a lock whose pid lives on as another process, and refuses the holder's own run plainly",
    async () => {
      // The same pid, another run of it: what a restarted container leaves (the lock's pid, alive again).
      const dir = heldDataDir();
      writeFileSync(join(dir, ".tokenbill.lock-run"), `${process.ppid} not-this-boot:1`, { mode: 0o600 });
      const handle = await openDatabase({ dataDir: dir });
      try {
        expect(readFileSync(join(dir, ".tokenbill.lock"), "utf8")).toBe(String(process.pid));
        expect(readFileSync(join(dir, ".tokenbill.lock-run"), "utf8")).toBe(
          `${process.pid} ${processRun(process.pid)}`,
        );
      } finally {
        await handle.close();
      }
      // The holder's own run: refused, and no word of a stale lock.
      const held = heldDataDir();
      writeFileSync(join(held, ".tokenbill.lock-run"), `${process.ppid} ${processRun(process.ppid)}`);
      const message = ((await openDatabase({ dataDir: held }).catch((e: unknown) => e)) as ServiceError)
        .message;
      expect(message).toContain(`in use by another tokenbill process (pid ${process.ppid})`);
      expect(message).not.toContain("stale");
    },
  );
});
