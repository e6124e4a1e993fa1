import { MoneyRefusal } from "../../billing/payments/field-error.ts";
import { moneyRefusalWords } from "../../billing/payments/money-refusal-words.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";

/**
 * A verb's refusal about amounts (MoneyRefusal), worded for a person who typed the amount in major units:
 * each amount in its currency's format, as the page shows amounts, where the API's message counts minor
 * units ("at most 200 (minor units) of payment pay_…"). Any other error is returned as it is.
 */
export async function inPeoplesMoney(error: unknown, ctx: ServiceContext): Promise<unknown> {
  if (!(error instanceof MoneyRefusal)) return error;
  const words = await moneyRefusalWords(error, ctx);
  return new ServiceError(error.code, words, [{ field: error.field, message: words }]);
}
