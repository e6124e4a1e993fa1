import { Decimal } from "../../domain/decimal.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { ServiceError } from "../../kernel/errors.ts";

/**
 * An amount typed in the currency's major unit ("12.34", or "12,34" where the currency writes decimals with
 * a comma) as exact minor units: parsed by the domain's Decimal (never a float), refused — naming `field` —
 * when it is not a plain positive number or has more decimals than the currency has. Thousands separators
 * are refused rather than guessed: "1.000" could mean one or a thousand.
 */
export function minorUnitsOf(text: string, currency: CurrencyDisplay, field = "amount"): bigint {
  const typed = text.trim();
  if (typed === "") throw ServiceError.validation(field, "enter an amount");
  const plain = currency.decimalsSeparator === "," ? typed.replace(/,/g, ".") : typed;
  if (!/^\d+(\.\d+)?$/.test(plain))
    throw ServiceError.validation(
      field,
      `must be an amount such as 12${currency.decimalsSeparator}34, without a currency sign or thousands separators`,
    );
  const decimals = plain.split(".")[1]?.length ?? 0;
  if (decimals > currency.exponent)
    throw ServiceError.validation(
      field,
      currency.exponent === 0
        ? `${currency.code} has no minor unit: enter a whole amount`
        : `${currency.code} has ${currency.exponent} decimal${currency.exponent === 1 ? "" : "s"}: enter at most that many`,
    );
  const minor = Decimal.parse(plain, field).mulPow10(currency.exponent).roundToBigInt(0);
  if (minor <= 0n) throw ServiceError.validation(field, "must be more than zero");
  return minor;
}
