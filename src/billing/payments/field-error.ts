import { type ErrorCode, ServiceError } from "../../kernel/errors.ts";

/** A refusal that names the field at fault, whatever its code (404 invoice_id, 409 reference, …). */
export function fieldError(code: ErrorCode, field: string, message: string): ServiceError {
  return new ServiceError(code, `${field}: ${message}`, [{ field, message }]);
}
