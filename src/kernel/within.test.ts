import { describe, expect, it } from "vitest";
import { within } from "./within.ts";

describe("within", () => {
  it("gives the value of a promise that settles in time, and its rejection", async () => {
    expect(await within(Promise.resolve(7), 1_000)).toEqual({ settled: true, value: 7 });
    await expect(within(Promise.reject(new Error("refused")), 1_000)).rejects.toThrow("refused");
  });

  it("says it did not settle once the time is up, and leaves it running", async () => {
    let answer: (n: number) => void = () => {};
    const slow = new Promise<number>((resolve) => {
      answer = resolve;
    });
    expect(await within(slow, 10)).toEqual({ settled: false });
    answer(3);
    expect(await slow).toBe(3);
  });
});
