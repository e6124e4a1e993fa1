// JSON.parse turns an integer beyond 2^53 into the nearest double: SolusIO's token figure 14880000000000744
// would be read as 14880000000000744 ± 2 and then refused by a number schema, failing the whole period. Node 20's
// JSON.parse gives a reviver no source text, so such integers are quoted before parsing: they arrive as
// decimal strings, which the count schemas take as exact bigints (schemas.ts wireCountShape).

/** An integer literal too long to be certainly safe, outside strings (16 digits or more). */
const LONG_DIGITS = /\d{16}/;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** JSON.parse, except that an integer beyond Number.MAX_SAFE_INTEGER becomes its decimal string. */
export function parseJsonExact(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  let out = "";
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(text, i);
      continue;
    }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue;
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (!match) continue;
    const literal = match[0];
    const integer = match[1] === undefined && match[2] === undefined;
    if (integer && !Number.isSafeInteger(Number(literal))) {
      out += `${text.slice(copied, i)}"${literal}"`;
      copied = i + literal.length;
    }
    i += literal.length - 1;
  }
  return JSON.parse(out + text.slice(copied));
}

/** The index of the quote that closes the string opened at `start` (the text's end when there is none). */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}
