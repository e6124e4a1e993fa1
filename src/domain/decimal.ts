import { ServiceError } from "../kernel/errors.ts";
import { type AnyMode, divRound, pow10, type RoundingMode } from "./rounding.ts";

export { pow10, type RoundingMode } from "./rounding.ts";

// Exact decimal arithmetic for unit costs, multipliers and rates (billing-rules §1): never a JS float.

const PLAIN_DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;
// Far beyond any price (unit costs have at most 12 decimals); stops absurd inputs from costing CPU.
const MAX_INPUT_LENGTH = 200;

export class Decimal {
  readonly coefficient: bigint;
  readonly scale: number;

  static readonly ZERO: Decimal = new Decimal(0n, 0);
  static readonly ONE: Decimal = new Decimal(1n, 0);

  private constructor(coefficient: bigint, scale: number) {
    this.coefficient = coefficient;
    this.scale = scale;
    Object.freeze(this);
  }

  /** value = coefficient / 10^scale; scale must be a non-negative integer. */
  static of(coefficient: bigint, scale = 0): Decimal {
    pow10(scale); // validates scale
    return new Decimal(coefficient, scale);
  }

  static fromBigInt(n: bigint): Decimal {
    return new Decimal(n, 0);
  }

  /**
   * Strings in plain decimal notation ("-12.3400", "0.00091"); bigints; numbers only when safe integers
   * or when their shortest String() form has no exponent (JSON inputs such as 0.95).
   */
  static parse(input: string | bigint | number, field = "value"): Decimal {
    if (typeof input === "bigint") return new Decimal(input, 0);
    if (typeof input === "number") return Decimal.parseNumber(input, field);
    if (typeof input !== "string") {
      throw ServiceError.validation(field, `must be a decimal number (got ${typeof input})`);
    }
    if (input.length > MAX_INPUT_LENGTH) {
      throw ServiceError.validation(field, `has too many digits (more than ${MAX_INPUT_LENGTH} characters)`);
    }
    const m = PLAIN_DECIMAL.exec(input);
    if (m === null) {
      const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
      throw ServiceError.validation(
        field,
        `must be a plain decimal number such as "12.34" (got "${shown}"); no exponents, spaces or separators`,
      );
    }
    const [, sign, intPart = "", fracPart = ""] = m;
    const magnitude = BigInt(intPart + fracPart);
    return new Decimal(sign === "-" ? -magnitude : magnitude, fracPart.length);
  }

  private static parseNumber(n: number, field: string): Decimal {
    if (!Number.isFinite(n)) {
      throw ServiceError.validation(field, `must be a finite decimal number (got ${String(n)})`);
    }
    if (Number.isSafeInteger(n)) return new Decimal(BigInt(n), 0);
    // An integral float beyond 2^53 has already lost digits in JSON parsing; refuse rather than guess.
    if (Number.isInteger(n)) {
      throw ServiceError.validation(field, `is too large to be exact as a JSON number; send it as a string`);
    }
    const s = String(n);
    if (/e/i.test(s)) {
      throw ServiceError.validation(
        field,
        `cannot be represented exactly as a JSON number (got ${s}); send it as a decimal string`,
      );
    }
    return Decimal.parse(s, field);
  }

  static sum(ds: readonly Decimal[]): Decimal {
    return ds.reduce<Decimal>((acc, d) => acc.add(d), Decimal.ZERO);
  }

  static product(ds: readonly Decimal[]): Decimal {
    return ds.reduce<Decimal>((acc, d) => acc.mul(d), Decimal.ONE);
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.gte(b) ? a : b;
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.lte(b) ? a : b;
  }

  /** The coefficient of this value at a larger (or equal) scale: exact. */
  private coefficientAt(scale: number): bigint {
    return this.coefficient * pow10(scale - this.scale);
  }

  add(other: Decimal | bigint): Decimal {
    const o = toDecimal(other);
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.coefficientAt(s) + o.coefficientAt(s), s);
  }

  sub(other: Decimal | bigint): Decimal {
    return this.add(toDecimal(other).neg());
  }

  mul(other: Decimal | bigint): Decimal {
    const o = toDecimal(other);
    return new Decimal(this.coefficient * o.coefficient, this.scale + o.scale);
  }

  /** Exact division by 10^n (e.g. a percent rate / 100 is divPow10(2)). */
  divPow10(n: number): Decimal {
    pow10(n);
    return new Decimal(this.coefficient, this.scale + n);
  }

  /** Moves the decimal point n places left: the same as divPow10(n). */
  shiftLeft(n: number): Decimal {
    return this.divPow10(n);
  }

  /** Exact multiplication by 10^n. */
  mulPow10(n: number): Decimal {
    pow10(n);
    if (n <= this.scale) return new Decimal(this.coefficient, this.scale - n);
    return new Decimal(this.coefficient * pow10(n - this.scale), 0);
  }

  neg(): Decimal {
    return new Decimal(-this.coefficient, this.scale);
  }

  abs(): Decimal {
    return this.coefficient < 0n ? this.neg() : this;
  }

  cmp(other: Decimal | bigint): -1 | 0 | 1 {
    const o = toDecimal(other);
    const s = Math.max(this.scale, o.scale);
    const a = this.coefficientAt(s);
    const b = o.coefficientAt(s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  eq(other: Decimal | bigint): boolean {
    return this.cmp(other) === 0;
  }
  lt(other: Decimal | bigint): boolean {
    return this.cmp(other) < 0;
  }
  lte(other: Decimal | bigint): boolean {
    return this.cmp(other) <= 0;
  }
  gt(other: Decimal | bigint): boolean {
    return this.cmp(other) > 0;
  }
  gte(other: Decimal | bigint): boolean {
    return this.cmp(other) >= 0;
  }

  isZero(): boolean {
    return this.coefficient === 0n;
  }
  isNegative(): boolean {
    return this.coefficient < 0n;
  }
  isInteger(): boolean {
    return this.coefficient % pow10(this.scale) === 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.coefficient < 0n ? -1 : this.coefficient > 0n ? 1 : 0;
  }

  private roundAny(scale: number, mode: AnyMode): Decimal {
    pow10(scale);
    if (scale >= this.scale) return new Decimal(this.coefficientAt(scale), scale);
    return new Decimal(divRound(this.coefficient, pow10(this.scale - scale), mode), scale);
  }

  /** Rounds to `scale` fractional digits; the result has exactly that scale. */
  round(scale: number, mode: RoundingMode = "half_away_from_zero"): Decimal {
    return this.roundAny(scale, mode);
  }

  /** The coefficient at `scale` after rounding: minor units = amount.roundToBigInt(exponent). */
  roundToBigInt(scale: number, mode: RoundingMode = "half_away_from_zero"): bigint {
    return this.roundAny(scale, mode).coefficient;
  }

  floor(scale = 0): Decimal {
    return this.roundAny(scale, "floor");
  }
  ceil(scale = 0): Decimal {
    return this.roundAny(scale, "ceil");
  }
  trunc(scale = 0): Decimal {
    return this.roundAny(scale, "trunc");
  }

  /** Strips trailing fractional zeros; zero becomes 0 at scale 0. */
  normalize(): Decimal {
    if (this.coefficient === 0n) return Decimal.ZERO;
    let c = this.coefficient;
    let s = this.scale;
    while (s > 0 && c % 10n === 0n) {
      c /= 10n;
      s -= 1;
    }
    return s === this.scale ? this : new Decimal(c, s);
  }

  /** Canonical form: no trailing zeros, no exponent, "0" for zero, "-0.5". */
  toString(): string {
    const n = this.normalize();
    return formatCoefficient(n.coefficient, n.scale);
  }

  /** Exactly `scale` fractional digits, rounded by `mode` when digits are dropped. */
  toFixed(scale: number, mode: RoundingMode = "half_away_from_zero"): string {
    return formatCoefficient(this.roundAny(scale, mode).coefficient, scale);
  }

  /** The one float conversion: only to emit a JSON number (e.g. user_token_unit_cost, §3). */
  toJSONNumber(maxScale = 12): number {
    return Number(this.round(maxScale).toString());
  }

  // JSON.stringify would otherwise throw on the bigint field; a string keeps the value exact.
  toJSON(): string {
    return this.toString();
  }
}

function toDecimal(x: Decimal | bigint): Decimal {
  return typeof x === "bigint" ? Decimal.fromBigInt(x) : x;
}

function formatCoefficient(coefficient: bigint, scale: number): string {
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString().padStart(scale + 1, "0");
  const intPart = digits.slice(0, digits.length - scale);
  const body = scale === 0 ? intPart : `${intPart}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${body}` : body;
}
