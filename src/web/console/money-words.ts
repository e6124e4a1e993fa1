import { MoneyRefusal } from "../../billing/payments/field-error.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { money } from "../page-kit.ts";

/**
 * A verb's refusal about amounts (MoneyRefusal), worded for a person who typed the amount in major units:
 * each amount in its currency's format, as the page shows amounts, where the API's message counts minor
 * units ("at most 200 (minor units) of payment pay_…"). Any other error is returned as it is.
 */
export async function inPeoplesMoney(error: unknown, ctx: ServiceContext): Promise<unknown> {
  if (!(error instanceof MoneyRefusal)) return error;
  const displays = await currencyDisplays({ ctx, input: {} });
  const words = error.inWords((minor, code) => {
    const display = displays.get(code);
    return display ? money(minor, display) : `${minor} (${code} minor units)`;
  });
  return new ServiceError(error.code, words, [{ field: error.field, message: words }]);
}
