import { type CurrencyDisplay, formatMinor } from "../../domain/money.ts";
import { ServiceError } from "../../kernel/errors.ts";

/**
 * An amount typed in the currency's major unit ("12.34", or "12٫34" where the currency writes decimals with
 * "٫") as exact minor units: the digits are read as one integer (never a float), refused — naming `field` —
 * when they are not a plain positive number or have more decimals than the currency has. The decimals may be
 * set off by the currency's own separator or by "."; thousands separators are refused rather than guessed:
 * "1.000" could mean one or a thousand, so "." is no decimal point where it groups thousands.
 */
export function minorUnitsOf(text: string, currency: CurrencyDisplay, field = "amount"): bigint {
  const typed = text.trim();
  if (typed === "") throw ServiceError.validation(field, "enter an amount");
  const parts = wholeAndDecimals(typed, currency);
  if (!parts)
    throw ServiceError.validation(
      field,
      `must be an amount such as ${exampleAmount(currency)}, without a currency sign or thousands separators`,
    );
  const [whole, decimals] = parts;
  if (decimals.length > currency.exponent)
    throw ServiceError.validation(
      field,
      currency.exponent === 0
        ? `${currency.code} has no minor unit: enter a whole amount`
        : `${currency.code} has ${currency.exponent} decimal${currency.exponent === 1 ? "" : "s"}: enter at most that many`,
    );
  const minor = BigInt(whole + decimals.padEnd(currency.exponent, "0"));
  if (minor <= 0n) throw ServiceError.validation(field, "must be more than zero");
  return minor;
}

/** "12٫34" → ["12", "34"], "12" → ["12", ""]; undefined unless digits, one decimal separator and digits. */
function wholeAndDecimals(typed: string, currency: CurrencyDisplay): [string, string] | undefined {
  if (/^\d+$/.test(typed)) return [typed, ""];
  for (const separator of decimalSeparatorsTaken(currency)) {
    const parts = typed.split(separator);
    if (parts.length === 2 && parts.every((p) => /^\d+$/.test(p))) return [parts[0] ?? "", parts[1] ?? ""];
  }
  return undefined;
}

/** The currency's own decimal separator, and "." unless it groups the currency's thousands. */
function decimalSeparatorsTaken(currency: CurrencyDisplay): string[] {
  const taken = [currency.decimalsSeparator];
  if (currency.thousandsSeparator !== "." && currency.decimalsSeparator !== ".") taken.push(".");
  return taken.filter((s) => s !== "" && s !== currency.thousandsSeparator);
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

/** The currency's own decimal separator, which minorUnitsOf reads, or "." should a currency have none. */
function typedDecimalsSeparator(currency: CurrencyDisplay): string {
  return decimalSeparatorsTaken(currency)[0] ?? ".";
}
