import { describe, expect, it } from "vitest";
import { LINE_EVERY_MS, QUIET_MS, walkProgress } from "./walk-progress.ts";

// The progress `solusio doctor` and `solusio reconcile` print on stderr while they walk SolusIO's users: nothing
// for a short walk, then one line redrawn on a terminal, or a line now and then in a log; never the last page
// (the result follows), and a terminal's line ended once the walk is done.

/** A stream that keeps what is written, and a clock the test moves. */
function setup(isTTY: boolean) {
  const written: string[] = [];
  let t = 1_000_000;
  const progress = walkProgress("walk", { isTTY, write: (text: string) => written.push(text) }, () => t);
  return {
    written,
    progress,
    at(ms: number) {
      t = 1_000_000 + ms;
    },
  };
}

describe("walkProgress", () => {
  it("says nothing of a walk shorter than QUIET_MS, on a terminal or not", () => {
    for (const tty of [true, false]) {
      const s = setup(tty);
      s.progress.update({ read: 1, of: 1334 });
      s.at(QUIET_MS - 1);
      s.progress.update({ read: 200, of: 1334 });
      s.progress.done();
      expect(s.written, `isTTY ${tty}`).toEqual([]);
    }
  });

  it("off a terminal, writes a line at QUIET_MS and then at most every LINE_EVERY_MS", () => {
    const s = setup(false);
    s.at(QUIET_MS);
    s.progress.update({ read: 400, of: 1334 });
    s.at(QUIET_MS + LINE_EVERY_MS - 1);
    s.progress.update({ read: 900, of: 1334 });
    s.at(QUIET_MS + LINE_EVERY_MS);
    s.progress.update({ read: 1000, of: 1334 });
    s.progress.done();
    expect(s.written).toEqual(["walk: page 400 of 1,334\n", "walk: page 1,000 of 1,334\n"]);
  });

  it("on a terminal, redraws one line at most once a second and ends it when done", () => {
    const s = setup(true);
    s.at(QUIET_MS);
    s.progress.update({ read: 400, of: 1334 });
    s.at(QUIET_MS + 999);
    s.progress.update({ read: 450, of: 1334 });
    s.at(QUIET_MS + 1000);
    s.progress.update({ read: 500, of: 1334 });
    s.progress.done();
    expect(s.written).toEqual(["\r\x1b[2Kwalk: page 400 of 1,334", "\r\x1b[2Kwalk: page 500 of 1,334", "\n"]);
  });

  it("never draws the last page: the walk is over and the result follows", () => {
    const s = setup(true);
    s.at(QUIET_MS + 5_000);
    s.progress.update({ read: 1334, of: 1334 });
    s.progress.done();
    expect(s.written).toEqual([]);
  });
});
