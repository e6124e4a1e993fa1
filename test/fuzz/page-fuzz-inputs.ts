import fc from "fast-check";
import { badStrings, percentEncode } from "./fuzz-inputs.ts";

// What the page fuzz sends (page-fuzz.db.test.ts): path segments and query values a link from anywhere can
// carry, and a page's own form spoilt in one field, or sent whole in a shape no browser of ours sends.

/** Path segments in place of a record's id: other shapes, huge numbers, control characters, too long. */
export const SEGMENTS: string[] = [
  "0",
  "-1",
  "1.5",
  "abc",
  "99999999999999999999999999",
  "9223372036854775808",
  "inv_ffff",
  "cn_ffff",
  "pay_ffff",
  "USD",
  "__proto__",
  percentEncode("a\u0001b"),
  percentEncode("\u001b[31m"),
  "%00",
  "%ZZ",
  "%E2%80%AE",
  percentEncode("x".repeat(1001)),
];

/** Query values, for every parameter a page's links and search forms use and for `page` and `q`. */
export const QUERY_VALUES: string[] = [
  "-1",
  "0",
  "1e3",
  "99999999999999999999999999",
  "abc",
  percentEncode("a\u0001b"),
  "%00",
  "%ZZ",
  "a%0d%0aSet-Cookie:%20x=1",
  percentEncode("x".repeat(1001)),
  "2026-02-30",
  "%2B275760-09-13",
  "9999-12-31T23:59:59Z",
];

/** Whole query strings that no link of ours makes. */
export const ODD_QUERIES: string[] = [
  "page=1&page=2",
  "page=-1",
  "unknown=1",
  "__proto__=1",
  "constructor[prototype][x]=1",
  "a[b]=1",
  "%ZZ=1",
  "=1",
  "&&&",
];

/** A few more path segments or query values per route, drawn with the seed, as the OpenAPI fuzz does. */
export function randomPieces(seed: number, runs: number): string[] {
  return fc.sample(badStrings, { numRuns: runs, seed }).map((s) => percentEncode(s));
}

/** A random spoilt value per field, with the seed. */
export function randomValues(seed: number, runs: number): string[] {
  return (
    fc
      .sample(badStrings, { numRuns: runs, seed })
      // Lone surrogates cannot be sent as UTF-8 and would arrive as U+FFFD: that case is the fixed list's.
      .filter((s) => Buffer.from(s).toString() === s)
  );
}

/** Each field's spoilt values, one field at a time: control characters, too long, empty. */
export const FIELD_VALUES: string[] = [
  "a\u0001b",
  "\u001b[31m",
  "line\u0000",
  "x".repeat(10_001),
  "",
  // Where a number, an id or a date is read: beyond any integer, negative, a day that does not exist.
  "-1",
  "99999999999999999999999999",
  "2026-02-30",
];

export type Fields = [string, string | string[]][];

/** A form body as a browser encodes it; an array value is the same name sent several times. */
export function formBody(fields: Fields): string {
  const params = new URLSearchParams();
  for (const [name, value] of fields) for (const v of [value].flat()) params.append(name, v);
  return params.toString();
}

export function withField(fields: Fields, name: string, value: string | string[]): Fields {
  return fields.map(([n, v]) => [n, n === name ? value : v]);
}

/** Whole bodies no form of ours sends: another content type, JSON, too large, broken encoding. */
export function oddBodies(
  fields: Fields,
  limit: number,
): { type?: string; body: string | Buffer; what: string }[] {
  const form = formBody(fields);
  const json = JSON.stringify(Object.fromEntries(fields));
  return [
    { type: "application/x-www-form-urlencoded", body: `${form}&zz_unknown=1`, what: "unknown field" },
    {
      type: "application/x-www-form-urlencoded",
      body: `${form}&__proto__=1&constructor=1`,
      what: "__proto__ field",
    },
    { type: "application/x-www-form-urlencoded", body: `${form}&a[b]=1&c%5Bd%5D=2`, what: "bracketed field" },
    { type: "application/x-www-form-urlencoded", body: `${form}&%ZZ=1`, what: "bad percent-encoding" },
    {
      type: "application/x-www-form-urlencoded",
      body: `${form}&zz=${"x".repeat(limit)}`,
      what: "over the limit",
    },
    {
      type: "application/x-www-form-urlencoded",
      body: Buffer.concat([Buffer.from(`${form}&zz=`), Buffer.from([0xff, 0xfe])]),
      what: "not UTF-8",
    },
    { type: "application/json", body: json, what: "JSON" },
    { type: "application/json", body: '{"a":', what: "broken JSON" },
    { type: "text/plain", body: form, what: "text/plain" },
    {
      type: "multipart/form-data; boundary=x",
      body: `--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n`,
      what: "multipart",
    },
    { body: form, what: "no content type" },
    {
      type: "application/x-www-form-urlencoded; charset=latin1",
      body: Buffer.from(`${form}&zz=\u00e9`, "latin1"),
      what: "Latin-1",
    },
  ];
}
