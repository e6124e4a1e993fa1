import { describe, expect, it } from "vitest";
import { BackgroundWork } from "./background-work.ts";

describe("BackgroundWork", () => {
  it("aborts its signal at stop and waits for the work added, failed work included", async () => {
    const work = new BackgroundWork();
    const ended: string[] = [];
    // Work that notices the abort and ends a moment later.
    const stopsWhenAsked = new Promise<void>((resolve) => {
      work.signal.addEventListener("abort", () =>
        setTimeout(() => {
          ended.push("stopped");
          resolve();
        }, 10),
      );
    });
    work.add(stopsWhenAsked);
    work.add(Promise.reject(new Error("its own failure, handled by whoever started it")).catch(() => {}));
    work.add(Promise.reject(new Error("unhandled by its starter")));
    expect(work.signal.aborted).toBe(false);
    await work.stop();
    expect(work.signal.aborted).toBe(true);
    expect(ended).toEqual(["stopped"]);
  });
});
