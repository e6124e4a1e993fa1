import { describe, expect, it } from "vitest";
import { renderTable } from "./output.ts";

describe("renderTable", () => {
  it("pads each column to its widest cell, numbers on the right", () => {
    expect(
      renderTable(
        ["id", "amount"],
        [
          ["a", "1.00"],
          ["bbb", "10.00"],
        ],
        [false, true],
      ),
    ).toBe(["id   amount", "---  ------", "a      1.00", "bbb   10.00"].join("\n"));
  });

  it("lays out a list of half a million rows (the widths were spread into Math.max's arguments)", () => {
    const rows = Array.from({ length: 500_000 }, (_, i) => [String(i), "x"]);
    const table = renderTable(["n", "v"], rows);
    const lines = table.split("\n");
    expect(lines).toHaveLength(500_002);
    expect(lines[0]).toBe("n       v");
    expect(lines.at(-1)).toBe("499999  x");
  });
});
