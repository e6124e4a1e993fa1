/**
 * A regular expression (JSON Schema `pattern`, ECMA-262) that matches exactly the decimal spellings of the whole
 * numbers from `min` (0 or 1) to `max`, so an OpenAPI document can say the bound a string of digits has: JSON
 * Schema's `maximum` applies to numbers only. Without `leadingZeros`, one spelling per number ("7", not "07").
 */
export function digitsPattern(opts: { min: 0n | 1n; max: bigint; leadingZeros?: boolean }): string {
  const top = opts.max.toString();
  const shorter = top.length >= 2 ? [`[1-9][0-9]{0,${top.length - 2}}`] : [];
  const sameLength: string[] = [];
  for (let i = 0; i < top.length; i++) {
    const digit = Number(top[i]);
    const lowest = i === 0 ? 1 : 0;
    if (digit > lowest) {
      const rest = top.length - i - 1;
      sameLength.push(`${top.slice(0, i)}${range(lowest, digit - 1)}${rest > 0 ? `[0-9]{${rest}}` : ""}`);
    }
  }
  sameLength.push(top);
  const positive = [...shorter, ...sameLength];
  const all = opts.min === 0n ? ["0", ...positive] : positive;
  return `^${opts.leadingZeros ? "0*" : ""}(?:${all.join("|")})$`;
}

function range(from: number, to: number): string {
  return from === to ? String(from) : `[${from}-${to}]`;
}
