import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "./open-database.ts";
import { rowsJson, type UnnestColumn, unnestRows } from "./unnest-rows.ts";

// Whatever a column may hold comes back from the database exactly as it was sent: text with quotes,
// backslashes, control characters and characters beyond the BMP, bigints beyond a double's exact range,
// booleans, nulls, instants and JSON.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

interface Row {
  text: string | null;
  big: bigint | null;
  int: number | null;
  flag: boolean | null;
  at: string | null;
  doc: string | null;
}

const columns: UnnestColumn<Row>[] = [
  { name: "text", type: "text", value: (r) => r.text },
  { name: "big", type: "bigint", value: (r) => r.big },
  { name: "int", type: "integer", value: (r) => r.int },
  { name: "flag", type: "boolean", value: (r) => r.flag },
  { name: "at", type: "timestamptz", value: (r) => r.at },
  { name: "doc", type: "jsonb", value: (r) => r.doc },
];

/** Text of the characters a column may hold, PostgreSQL's text excepting U+0000 (it cannot hold it). */
function randomText(random: () => number): string {
  const pool = [
    '"',
    "\\",
    "\n",
    "\t",
    "\u0001",
    "\u001f",
    "\u2028",
    "é",
    "€",
    "😀",
    "a",
    "}",
    ",",
    "]",
    "null",
  ];
  let s = "";
  for (let i = Math.floor(random() * 12); i > 0; i--) s += pool[Math.floor(random() * pool.length)];
  return s;
}

async function roundTrip(rows: Row[]): Promise<Row[]> {
  const { rows: back } = await sql<{
    text: string | null;
    big: string | null;
    int: number | null;
    flag: boolean | null;
    at: string | null;
    doc: string | null;
  }>`SELECT text, big::text AS big, int, flag, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
        doc::text AS doc
      FROM (${unnestRows(columns, rows)}) AS u`.execute(handle.db);
  return back.map((r) => ({ ...r, big: r.big === null ? null : BigInt(r.big) }));
}

describe("unnestRows", () => {
  it("gives back every row as sent, in the order sent", async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bigs = [0n, -5n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n];
    const rows: Row[] = Array.from({ length: 300 }, (_, i) => ({
      text: random() < 0.1 ? null : randomText(random),
      big: random() < 0.1 ? null : bigs[i % bigs.length]!,
      int: random() < 0.1 ? null : Math.floor(random() * 2 ** 31) - 2 ** 30,
      flag: random() < 0.2 ? null : random() < 0.5,
      at: random() < 0.2 ? null : new Date(Date.UTC(2026, 9, 1) + Math.floor(random() * 2e9)).toISOString(),
      doc: random() < 0.2 ? null : JSON.stringify({ note: randomText(random), n: i }),
    }));
    const back = await roundTrip(rows);
    expect(back).toEqual(rows.map((r) => ({ ...r, doc: r.doc === null ? null : normalizeJson(r.doc) })));
  });

  it("sends a bigint as a JSON number while a double holds it exactly, else as its digits", () => {
    const ids: UnnestColumn<bigint | null>[] = [{ name: "id", type: "bigint", value: (r) => r }];
    expect(rowsJson(ids, [2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) + 1n, -(2n ** 53n), null])).toBe(
      '[[9007199254740991],["9007199254740992"],[-9007199254740991],["-9007199254740992"],[null]]',
    );
  });

  it("reads no rows from an empty list", async () => {
    expect(rowsJson(columns, [])).toBe("[]");
    expect(await roundTrip([])).toEqual([]);
  });
});

/** jsonb's own text of a JSON document (it orders keys and spaces them its way). */
function normalizeJson(text: string): string {
  const doc = JSON.parse(text) as { note: string; n: number };
  return `{"n": ${doc.n}, "note": ${JSON.stringify(doc.note)}}`;
}
