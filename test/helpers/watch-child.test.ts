import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { endChild, watchChild } from "./watch-child.ts";

const SIZE = 500_000;

describe("watchChild", () => {
  it("has the whole output of each of many children that end at once", async () => {
    // Each writes more than a pipe holds (64 KiB) and exits: this process is still reading when it ends.
    // Resolved on "exit" instead of "close", a round came short in most runs (2026-12-07).
    for (let round = 0; round < 3; round++) {
      const ends = await Promise.all(
        Array.from(
          { length: 32 },
          () =>
            watchChild(
              spawn("head", ["-c", String(SIZE), "/dev/zero"], { stdio: ["ignore", "pipe", "pipe"] }),
            ).ended,
        ),
      );
      expect(ends.map((end) => [end.code, end.stdout.length])).toEqual(ends.map(() => [0, SIZE]));
    }
  });

  it("keeps stdout and stderr apart, and both in the order they came", async () => {
    const end = await watchChild(
      spawn("/bin/sh", ["-c", "echo one; echo two >&2; echo three; exit 3"], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
    ).ended;
    expect(end).toEqual({ code: 3, signal: null, stdout: "one\nthree\n", stderr: "two\n" });
  });

  it("says why a child could not be started", async () => {
    const end = await watchChild(spawn("/nonexistent/tokenbill", [], { stdio: ["ignore", "pipe", "pipe"] }))
      .ended;
    expect(end.error?.message).toContain("ENOENT");
  });
});

describe("endChild", () => {
  it("signals a running child and resolves with its end", async () => {
    const watched = watchChild(
      spawn("/bin/sh", ["-c", "echo started; exec sleep 60"], { stdio: ["ignore", "pipe", "pipe"] }),
    );
    await expect.poll(watched.stdout).toBe("started\n");
    expect(await endChild(watched, "SIGTERM")).toEqual({
      code: null,
      signal: "SIGTERM",
      stdout: "started\n",
      stderr: "",
    });
  });

  it("resolves at once with the end of a child that has already ended, sending nothing", async () => {
    const watched = watchChild(spawn("/bin/sh", ["-c", "exit 0"], { stdio: ["ignore", "pipe", "pipe"] }));
    const first = await watched.ended;
    expect(await endChild(watched, "SIGKILL")).toBe(first);
    expect(first.signal).toBeNull();
  });
});
