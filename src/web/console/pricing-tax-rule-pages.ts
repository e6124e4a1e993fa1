import {
  createTaxRule,
  deleteTaxRule,
  getTaxRule,
  listTaxRules,
  type TaxRule,
  updateTaxRule,
} from "../../services/tax-rules/tax-rules.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { ResourcePages } from "./pricing-resource-pages.ts";

// Tax rules: ordered rates applied compound or simple, chosen by country and region (billing-rules §3). The
// rates are one text field, a line per rate ("City Tax = 6"), so the form needs no script to add a row.

export const taxRulePages: ResourcePages<TaxRule> = {
  slug: "tax-rules",
  title: "Tax rules",
  singular: "tax rule",
  intro:
    "A customer gets its own tax rule, else the rule of its country and region, else of its country, else the default.",
  headers: [{ text: "Name" }, { text: "Rates" }, { text: "Applies to" }, { text: "How" }],
  keyOf: (r) => String(r.id),
  nameOf: (r) => r.name,
  keyInput: (id) => ({ id }),
  // A line per rate: the line breaks are the form's, each rate's label is text like any other.
  lineFields: ["rates"],
  cells: (r) => [
    { text: r.name },
    { text: r.rates.map((x) => `${x.label} ${x.rate} %`).join(", ") || "none" },
    {
      text: r.is_default
        ? "default"
        : [r.country, r.region].filter(Boolean).join(" / ") || "assigned customers",
    },
    { text: r.compound ? "compound" : "simple" },
  ],
  fields: () => [
    { name: "name", label: "Name", required: true },
    {
      name: "rates",
      label: "Rates",
      type: "textarea",
      hint: "One per line, in the order they apply: a label, =, the percent. For example: City Tax = 6",
    },
    {
      name: "compound",
      label: "Compound (each rate applies to the amount with the earlier taxes)",
      type: "checkbox",
    },
    { name: "country", label: "Country", hint: "ISO code such as DE; empty for none" },
    { name: "region", label: "Region", hint: "Needs a country; empty for the whole country" },
    { name: "is_default", label: "Default rule (for customers no other rule covers)", type: "checkbox" },
  ],
  valuesOf: (r) => ({
    name: r.name,
    rates: r.rates.map((x) => `${x.label} = ${x.rate}`).join("\n"),
    compound: r.compound ? "on" : "",
    country: r.country ?? "",
    region: r.region ?? "",
    is_default: r.is_default ? "on" : "",
  }),
  inputOf: (f) => ({
    name: (f["name"] ?? "").trim(),
    rates: ratesOf(f["rates"] ?? ""),
    compound: f["compound"] === "on",
    country: f["country"]?.trim() || null,
    region: f["region"]?.trim() || null,
    is_default: f["is_default"] === "on",
  }),
  verbs: {
    list: listTaxRules,
    get: getTaxRule,
    create: createTaxRule,
    update: updateTaxRule,
    remove: deleteTaxRule,
  },
};

/**
 * "City Tax = 6" lines as rates. A line without "=" is refused naming its line and the shape it needs, so a
 * typing slip is shown, never dropped (until 2026-12-06 it went on as a rate with no percent, which the verb
 * refused as "must be a decimal number such as 0.95", a shape the form never asks for).
 */
function ratesOf(text: string): { label: string; rate: string }[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line, index) => {
      const at = line.lastIndexOf("=");
      if (at < 0)
        throw ServiceError.validation(
          `rates.${index}.rate`,
          "write each line as Label = percent, for example City Tax = 6",
        );
      return {
        label: line.slice(0, at).trim(),
        rate: line
          .slice(at + 1)
          .replace("%", "")
          .trim(),
      };
    });
}
