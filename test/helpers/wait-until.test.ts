import { describe, expect, it } from "vitest";
import { waitUntil } from "./wait-until.ts";

describe("waitUntil", () => {
  it("resolves with the condition's first truthy result", async () => {
    let asked = 0;
    expect(await waitUntil("the third time", () => (++asked === 3 ? asked : undefined))).toBe(3);
  });

  it("fails naming what it waited for and, given a function, what it last saw", async () => {
    let state = "queued";
    const seen = waitUntil(
      () => `the run to finish (last seen: ${state})`,
      () => {
        state = "running";
        return false;
      },
      50,
    );
    // Made only when it gives up: a message made before the wait said "queued".
    await expect(seen).rejects.toThrow("waited 50 ms for the run to finish (last seen: running), in vain");
  });
});
