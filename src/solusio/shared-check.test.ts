import { describe, expect, it } from "vitest";
import { SharedCheck } from "./shared-check.ts";

// The binding check is one per connection, waited on by serve's start, the schedules and the sync jobs at
// once: a stop of one of them must not fail the others' wait, nor leave the check running for no one.

function started() {
  let pass: () => void = () => {};
  let cancelled: AbortSignal | undefined;
  let abandoned = 0;
  const check = new SharedCheck(
    (signal) => {
      cancelled = signal;
      return new Promise<void>((resolve) => {
        pass = resolve;
      });
    },
    () => abandoned++,
  );
  return { check, pass: () => pass(), cancelled: () => cancelled!, abandoned: () => abandoned };
}

const stopped = () => new Error("stopped");

describe("a shared check", () => {
  it("ends a stopped caller's wait and goes on for the others", async () => {
    const s = started();
    const run = new AbortController();
    const stopping = s.check.wait(run.signal, stopped);
    const other = s.check.wait(new AbortController().signal, stopped);
    run.abort();
    await expect(stopping).rejects.toThrow("stopped");
    expect(s.cancelled().aborted).toBe(false);
    s.pass();
    await expect(other).resolves.toBeUndefined();
    expect(s.abandoned()).toBe(0);
  });

  it("is cancelled once every caller waiting on it has stopped", async () => {
    const s = started();
    const a = new AbortController();
    const b = new AbortController();
    const waits = [s.check.wait(a.signal, stopped), s.check.wait(b.signal, stopped)];
    a.abort();
    expect(s.cancelled().aborted).toBe(false);
    b.abort();
    expect(s.cancelled().aborted).toBe(true);
    expect(s.abandoned()).toBe(1);
    for (const wait of waits) await expect(wait).rejects.toThrow("stopped");
  });

  it("is kept to its end by a caller that cannot stop", async () => {
    const s = started();
    const a = new AbortController();
    const stopping = s.check.wait(a.signal, stopped);
    const kept = s.check.wait(undefined, stopped);
    a.abort();
    await expect(stopping).rejects.toThrow("stopped");
    expect(s.cancelled().aborted).toBe(false);
    s.pass();
    await expect(kept).resolves.toBeUndefined();
  });

  it("answers a caller already stopped at once, and one after it passed without a listener", async () => {
    const s = started();
    const gone = new AbortController();
    gone.abort();
    await expect(s.check.wait(gone.signal, stopped)).rejects.toThrow("stopped");
    s.pass();
    await s.check.done;
    await expect(s.check.wait(gone.signal, stopped)).resolves.toBeUndefined();
  });
});
