import type { Insertable, Kysely } from "kysely";
import type { CurrencyTable, Database } from "../../../db/schema.ts";

// Currencies whose Stripe unit is not tokenbill's minor unit (stripe-amounts.ts), which the card tests add
// beside the seeded ones: ISK, whole krónur in tokenbill and two-decimal in Stripe; KWD, three-decimal in
// both but charged and refunded by Stripe only in multiples of 10 fils.

const plain = { display_prefix: "", thousands_separator: ",", decimals_separator: "." };
const ROWS = {
  ISK: { code: "ISK", exponent: 0, token_unit_cost: "0.1379", display_suffix: " kr", ...plain },
  KWD: { code: "KWD", exponent: 3, token_unit_cost: "0.000307", display_suffix: " KWD", ...plain },
} satisfies Record<string, Insertable<CurrencyTable>>;

/** Adds the currencies `codes` (ISK, KWD: above) to the file's database, for customers and invoices in them. */
export async function addStripeCurrencies(
  db: Kysely<Database>,
  ...codes: (keyof typeof ROWS)[]
): Promise<void> {
  await db
    .insertInto("currency")
    .values(codes.map((code) => ROWS[code]))
    .execute();
}
