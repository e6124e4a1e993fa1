import { type ErrorCode, ServiceError } from "../../kernel/errors.ts";

/** A refusal that names the field at fault, whatever its code (404 invoice_id, 409 reference, …). */
export function fieldError(code: ErrorCode, field: string, message: string): ServiceError {
  return new ServiceError(code, `${field}: ${message}`, [{ field, message }]);
}

/** Writes an amount of minor units in its currency's format ("$5.14"). */
export type MoneyWriter = (minor: bigint, currency: string) => string;

/**
 * A refusal about amounts. The API takes and says amounts in minor units, so its message does; a person
 * who typed major units (the console's forms) is told the same with `inWords`, which writes each amount
 * with the writer given. The API's answer is unchanged: only code, message and issues are sent.
 */
export class MoneyRefusal extends ServiceError {
  constructor(
    code: ErrorCode,
    readonly field: string,
    message: string,
    readonly inWords: (money: MoneyWriter) => string,
  ) {
    super(code, `${field}: ${message}`, [{ field, message }]);
  }
}
