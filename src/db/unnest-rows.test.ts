import { describe, expect, it } from "vitest";
import { rowsJson, type UnnestColumn } from "./unnest-rows.ts";

// rowsJson writes the JSON text itself; it must be exactly what JSON.stringify gives for the same rows as
// objects, for any value a column may hold (quotes, backslashes, control characters, lone surrogates, …).

type Row = { a: string | null; n: number | null; b: boolean | null; t: string };

const columns: UnnestColumn<Row>[] = [
  { name: "a", type: "text", value: (r) => r.a },
  { name: "n", type: "integer", value: (r) => r.n },
  { name: "b", type: "boolean", value: (r) => r.b },
  { name: "t", type: "jsonb", value: (r) => r.t },
];

const asObjects = (rows: Row[]) =>
  JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [String(i), c.value(r)]))));

function randomText(random: () => number): string {
  const pool = [
    '"',
    "\\",
    "\n",
    "\t",
    "\u0000",
    "\u001f",
    "\u2028",
    "é",
    "€",
    "😀",
    "\ud800",
    "\udc00",
    "a",
    "}",
    ",",
  ];
  let s = "";
  for (let i = Math.floor(random() * 12); i > 0; i--) s += pool[Math.floor(random() * pool.length)];
  return s;
}

describe("rowsJson", () => {
  it("gives exactly JSON.stringify's text for the same rows as objects", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const rows: Row[] = Array.from({ length: Math.floor(random() * 6) }, () => ({
        a: random() < 0.2 ? null : randomText(random),
        n:
          random() < 0.2
            ? null
            : [0, -1, 42, 2 ** 40, Number.NaN, Number.POSITIVE_INFINITY][Math.floor(random() * 6)]!,
        b: random() < 0.3 ? null : random() < 0.5,
        t: JSON.stringify({ x: randomText(random) }),
      }));
      expect(rowsJson(columns, rows)).toBe(asObjects(rows));
    }
  });

  it("writes a bigint as a JSON number of its digits, exact beyond 2^53", () => {
    const ids: UnnestColumn<bigint | null>[] = [{ name: "id", type: "bigint", value: (r) => r }];
    expect(rowsJson(ids, [90_071_992_547_409_931n, -5n, 0n, null])).toBe(
      '[{"0":90071992547409931},{"0":-5},{"0":0},{"0":null}]',
    );
  });

  it("writes an empty array for no rows", () => {
    expect(rowsJson(columns, [])).toBe("[]");
  });
});
