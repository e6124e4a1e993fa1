import { Decimal } from "../../domain/decimal.ts";
import {
  type Currency,
  currencyDisplayOf,
  createCurrency,
  deleteCurrency,
  getCurrency,
  listCurrencies,
  updateCurrency,
} from "../../services/currencies/currencies.ts";
import { money } from "../page-kit.ts";
import { wholeOrText } from "./pricing-form-kit.ts";
import type { ResourcePages } from "./pricing-resource-pages.ts";

// Currencies and their token unit cost B (billing-rules §1): what one token costs, and how amounts are written.

export const currencyPages: ResourcePages<Currency> = {
  slug: "currencies",
  title: "Currencies",
  singular: "currency",
  intro:
    "What one token costs in each currency (the token unit cost), and how amounts in it are written on pages and invoices.",
  headers: [
    { text: "Code" },
    { text: "Token unit cost", num: true },
    { text: "Minor-unit digits", num: true },
    { text: "Written as" },
  ],
  keyOf: (c) => c.code,
  nameOf: (c) => c.code,
  keyInput: (code) => ({ code }),
  cells: (c) => [
    { text: c.code },
    { text: c.token_unit_cost, num: true },
    { text: String(c.exponent), num: true },
    { text: example(c) },
  ],
  fields: () => [
    { name: "code", label: "Code", hint: "ISO 4217, such as USD", required: true, createOnly: true },
    {
      name: "token_unit_cost",
      label: "Token unit cost",
      hint: "What one token costs in this currency, e.g. 0.001 (up to 12 decimals)",
      inputmode: "decimal",
      required: true,
    },
    {
      name: "exponent",
      label: "Minor-unit digits",
      hint: "2 for USD and EUR, 0 for JPY",
      inputmode: "numeric",
    },
    { name: "display_prefix", label: "Prefix", hint: "Written before the amount, e.g. $" },
    { name: "display_suffix", label: "Suffix", hint: "Written after the amount, e.g. \u00a0kr" },
    { name: "thousands_separator", label: "Thousands separator" },
    { name: "decimals_separator", label: "Decimal separator" },
  ],
  valuesOf: (c) => ({
    code: c.code,
    token_unit_cost: c.token_unit_cost,
    exponent: String(c.exponent),
    display_prefix: c.display_prefix,
    display_suffix: c.display_suffix,
    thousands_separator: c.thousands_separator,
    decimals_separator: c.decimals_separator,
  }),
  inputOf: (f, mode) => ({
    ...(mode === "create" ? { code: f["code"] ?? "" } : {}),
    token_unit_cost: (f["token_unit_cost"] ?? "").trim(),
    exponent: wholeOrText(f["exponent"] || "2"),
    display_prefix: f["display_prefix"] ?? "",
    display_suffix: f["display_suffix"] ?? "",
    thousands_separator: f["thousands_separator"] ?? "",
    decimals_separator: f["decimals_separator"] || ".",
  }),
  // The code is the table's key: a second USD is said beside the code, in the form's words (the verb's
  // message, "currency USD already exists", is the API's).
  uniqueConflict: (f) => ({
    field: "code",
    message: `The currency ${(f["code"] ?? "").trim()} exists already: edit that one instead.`,
  }),
  verbs: {
    list: listCurrencies,
    get: getCurrency,
    create: createCurrency,
    update: updateCurrency,
    remove: deleteCurrency,
  },
};

/** 1,234.50 written in the currency's own format (billing-rules §1): what a person checks the settings by. */
function example(c: Currency): string {
  const minor = Decimal.parse("1234.5").mulPow10(c.exponent).roundToBigInt(0);
  return money(minor, currencyDisplayOf(c));
}
