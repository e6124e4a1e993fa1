import { Decimal } from "../../domain/decimal.ts";
import { type CurrencyDisplay, formatMinor } from "../../domain/money.ts";
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
      `must be an amount such as ${exampleAmount(currency)}, without a currency sign or thousands separators`,
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

/**
 * Minor units written as minorUnitsOf takes them back: no sign, no thousands separators, all the currency's
 * decimals ("3000" in JPY where the invoice says "¥3,000"). Examples on the forms are written so, as an
 * example copied from the page must not be refused.
 */
export function amountAsTyped(minor: bigint, currency: CurrencyDisplay): string {
  return formatMinor(minor, {
    ...currency,
    displayPrefix: "",
    displaySuffix: "",
    thousandsSeparator: "",
    decimalsSeparator: typedDecimalsSeparator(currency),
  });
}

/** The payment form's hint: the amount due as it may be typed (none when nothing is due). */
export function paymentAmountHint(amountDue: bigint, currency: CurrencyDisplay): string {
  const example =
    amountDue > 0n ? `${amountAsTyped(amountDue, currency)} (the amount due)` : exampleAmount(currency);
  return `For example ${example}, without a currency sign or thousands separators; any amount, the rest stays due`;
}

/** "12.34" with as many decimals as the currency has: "12" in JPY, "12.345" in KWD. */
function exampleAmount(currency: CurrencyDisplay): string {
  const decimals = "3456789012".slice(0, currency.exponent).padEnd(currency.exponent, "0");
  return amountAsTyped(BigInt(`12${decimals}`), currency);
}

/** The decimal separator minorUnitsOf reads besides ".". */
function typedDecimalsSeparator(currency: CurrencyDisplay): string {
  return currency.decimalsSeparator === "," ? "," : ".";
}
