import { describe, expect, it } from "vitest";
import { prettyLogs } from "./logger.ts";

describe("log format (issue 12 item 7)", () => {
  it("is pretty on a terminal, JSON otherwise, and LOG_FORMAT decides when set", () => {
    expect(prettyLogs({}, 1, true)).toBe(true);
    expect(prettyLogs({}, 1, false)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: "json" }, 1, true)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: "pretty" }, 2, false)).toBe(true);
  });
});
