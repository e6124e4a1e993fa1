// Exact decimals for showing prices: `units / 10^scale` with a bigint. The unit cost arrives as a JSON number;
// it is taken at its shortest decimal spelling ("1.0812"), never multiplied as a float.

export interface Decimal {
  units: bigint;
  scale: number;
}

/** From a finite JS number, via its shortest round-trip spelling, exponents included ("1e-7"). */
export function decimalFromNumber(n: number): Decimal {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(String(n));
  if (!match) throw new Error(`cannot read ${n} as a decimal`);
  const [, sign, whole = "0", fraction = "", exp = "0"] = match;
  let units = BigInt(`${whole}${fraction}`);
  let scale = fraction.length - Number(exp);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === "-" ? -units : units, scale };
}

export function multiplyByInteger(d: Decimal, factor: bigint): Decimal {
  return { units: d.units * factor, scale: d.scale };
}

/** Rounds to `decimals` places, half away from zero; the result has exactly that scale. */
export function roundTo(d: Decimal, decimals: number): Decimal {
  if (d.scale <= decimals) return { units: d.units * 10n ** BigInt(decimals - d.scale), scale: decimals };
  const divisor = 10n ** BigInt(d.scale - decimals);
  const negative = d.units < 0n;
  const abs = negative ? -d.units : d.units;
  let q = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) q += 1n;
  return { units: negative ? -q : q, scale: decimals };
}

export interface NumberFormat {
  decimals: number;
  thousandsSeparator: string;
  decimalsSeparator: string;
}

/** "1234.5" style parts joined with the currency's separators. */
export function formatDecimal(d: Decimal, format: NumberFormat): string {
  const r = roundTo(d, format.decimals);
  const negative = r.units < 0n;
  const digits = (negative ? -r.units : r.units).toString().padStart(format.decimals + 1, "0");
  const whole = digits.slice(0, digits.length - format.decimals);
  const fraction = digits.slice(digits.length - format.decimals);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, format.thousandsSeparator);
  const body = format.decimals > 0 ? `${grouped}${format.decimalsSeparator}${fraction}` : grouped;
  return negative ? `-${body}` : body;
}

/** Plain machine form: "5.41" (dot, no grouping). */
export function plainDecimal(d: Decimal, decimals: number): string {
  return formatDecimal(d, { decimals, thousandsSeparator: "", decimalsSeparator: "." });
}
