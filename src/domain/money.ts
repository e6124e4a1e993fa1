import { ServiceError } from "../kernel/errors.ts";
import type { Decimal } from "./decimal.ts";
import { pow10, type RoundingMode } from "./rounding.ts";

// Amounts on invoices are bigint minor units of one currency (billing-rules §1).
export interface CurrencyDisplay {
  code: string;
  exponent: number;
  displayPrefix: string;
  displaySuffix: string;
  thousandsSeparator: string;
  decimalsSeparator: string;
}

/**
 * The largest single amount tokenbill takes as input, in minor units: a payment, a refund, a credit note (and
 * each of its lines), the amount of mark-paid. An invoice is one customer's hosting for one month: a very large
 * customer's is some USD 1 million (10^8 cents). 10^15 is USD 10 trillion, JPY 10^15 (about USD 6.5 trillion),
 * and still about USD 10 million in the weakest currency ISO writes with two decimals (the Iranian rial, about
 * a million to the dollar on the open market): no real payment, refund or credit note reaches it.
 * It leaves room to add 9,223 such amounts before PostgreSQL's int8 (9.22 × 10^18) — the ledger's sums are
 * made safe anyway (numeric), as rows written before this limit hold more — and it is below 2^53, so every
 * single amount is an exact JSON number in the API's answers (src/kernel/json.ts writes bigints beyond 2^53
 * as strings of digits). Refused above it with a 400 naming the field (docs/payments.md, "Limits").
 */
export const MAX_AMOUNT_MINOR = 10n ** 15n;

// ISO 4217 exponents are 0–4; up to 12 (the precision of unit costs, §1) leaves room for custom units.
const MAX_EXPONENT = 12;

export function validateExponent(exponent: number, field = "exponent"): number {
  if (!Number.isSafeInteger(exponent) || exponent < 0 || exponent > MAX_EXPONENT) {
    throw ServiceError.validation(
      field,
      `must be a whole number of minor-unit digits between 0 and ${MAX_EXPONENT} (got ${String(exponent)})`,
    );
  }
  return exponent;
}

/** Rounds an exact amount in major units to minor units: one of the named rounding points of §4. */
export function toMinorUnits(
  amount: Decimal,
  exponent: number,
  mode: RoundingMode = "half_away_from_zero",
): bigint {
  return amount.roundToBigInt(validateExponent(exponent), mode);
}

function groupThousands(intDigits: string, separator: string): string {
  if (separator === "" || intDigits.length <= 3) return intDigits;
  const head = intDigits.length % 3 || 3;
  const groups = [intDigits.slice(0, head)];
  for (let i = head; i < intDigits.length; i += 3) groups.push(intDigits.slice(i, i + 3));
  return groups.join(separator);
}

/** Formats |coefficient| / 10^digits with the currency's separators; the sign goes before the prefix. */
function formatScaled(coefficient: bigint, digits: number, currency: CurrencyDisplay): string {
  const negative = coefficient < 0n;
  const abs = (negative ? -coefficient : coefficient).toString().padStart(digits + 1, "0");
  const intPart = groupThousands(abs.slice(0, abs.length - digits), currency.thousandsSeparator);
  const body =
    digits === 0 ? intPart : `${intPart}${currency.decimalsSeparator}${abs.slice(abs.length - digits)}`;
  return `${negative ? "-" : ""}${currency.displayPrefix}${body}${currency.displaySuffix}`;
}

/** 123450n in USD → "$1,234.50"; -5n → "-$0.05". */
export function formatMinor(minor: bigint, currency: CurrencyDisplay): string {
  return formatScaled(minor, validateExponent(currency.exponent, "currency.exponent"), currency);
}

/**
 * An amount as its currency writes it, named by its ISO code when the currency has neither prefix nor suffix
 * ("1,234.50 KWD" rather than a bare "1,234.50"): for text read without the rest of the document beside it,
 * such as a mail subject or an error message.
 */
export function formatMinorNamed(minor: bigint, currency: CurrencyDisplay): string {
  const written = formatMinor(minor, currency);
  return currency.displayPrefix.trim() === "" && currency.displaySuffix.trim() === ""
    ? `${written.trim()} ${currency.code}`
    : written;
}

/** An exact amount shown with exactly `digits` decimals, e.g. the conversion scheme's "€0.00091" (§1). */
export function formatDecimal(
  amount: Decimal,
  currency: CurrencyDisplay,
  digits: number,
  mode: RoundingMode = "half_away_from_zero",
): string {
  pow10(digits); // validates digits
  return formatScaled(amount.roundToBigInt(digits, mode), digits, currency);
}
