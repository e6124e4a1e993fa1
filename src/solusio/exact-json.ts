import { isInteger, parse } from "lossless-json";

// JSON.parse turns an integer beyond 2^53 into the nearest double: SolusIO's token figure 14880000000000744
// would be read as 14880000000000744 ± 2 and then refused by a number schema, failing the whole period. Node 20's
// JSON.parse gives a reviver no source text, so such answers are read with lossless-json, which hands each
// number's text to us: a long integer stays its decimal string, which the count schemas take as an exact bigint
// (schemas.ts wireCountShape). Every other number is what JSON.parse would have made of it.

/** An integer literal too long to be certainly safe (16 digits or more): only such a text needs the slow parser. */
const LONG_DIGITS = /\d{16}/;

/** JSON.parse, except that an integer beyond Number.MAX_SAFE_INTEGER becomes its decimal string. */
export function parseJsonExact(text: string): unknown {
  // JSON.parse is several times faster; most answers have no long digit run (a long string of digits inside a
  // quoted value also takes the slow path, which is only slower, never different).
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return parse(text, null, exactNumber);
}

function exactNumber(literal: string): number | string {
  const value = Number(literal);
  // Number.isSafeInteger, not lossless-json's isSafeNumber: 2^53 survives a round trip through a double, yet
  // 2^53 + 1 reads as the same double, so neither is certain once it has been a number.
  return isInteger(literal) && !Number.isSafeInteger(value) ? literal : value;
}
