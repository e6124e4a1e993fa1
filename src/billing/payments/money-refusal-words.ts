import { formatMinor } from "../../domain/money.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import type { MoneyRefusal } from "./field-error.ts";

/**
 * A refusal about amounts in the words of a person who typed major units (the console's forms, the CLI's
 * --amount): each amount in its currency's format ("$2.00"), where the API's message counts minor units.
 */
export async function moneyRefusalWords(refusal: MoneyRefusal, ctx: ServiceContext): Promise<string> {
  const displays = await currencyDisplays({ ctx, input: {} });
  return refusal.inWords((minor, code) => {
    const display = displays.get(code);
    return display ? formatMinor(minor, display) : `${minor} (${code} minor units)`;
  });
}
