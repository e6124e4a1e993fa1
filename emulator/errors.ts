// The emulator's one error type. Operations throw it; emulator/http/respond.ts maps `code` to a status in one
// switch. `fields` becomes the Laravel-style `errors: {field: [messages]}` body of a 422.

export type EmulatorErrorCode =
  | "VALIDATION"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "BAD_REQUEST"
  | "PAYLOAD_TOO_LARGE"
  | "METHOD_NOT_ALLOWED";

export type FieldErrors = Record<string, string[]>;

export class EmulatorError extends Error {
  readonly code: EmulatorErrorCode;
  readonly fields: FieldErrors | undefined;

  constructor(code: EmulatorErrorCode, message: string, fields?: FieldErrors) {
    super(message);
    this.name = "EmulatorError";
    this.code = code;
    this.fields = fields;
  }
}

/** A 422 whose message is the first problem, as Laravel words it ("… (and 2 more errors)"). */
export function validationError(fields: FieldErrors): EmulatorError {
  const all = Object.values(fields).flat();
  const first = all[0] ?? "The given data was invalid.";
  const more = all.length - 1;
  const message = more > 0 ? `${first} (and ${more} more error${more === 1 ? "" : "s"})` : first;
  return new EmulatorError("VALIDATION", message, fields);
}

export function fieldError(field: string, message: string): EmulatorError {
  return validationError({ [field]: [message] });
}

export function notFound(what: string): EmulatorError {
  return new EmulatorError("NOT_FOUND", `${what} not found.`);
}

export function forbidden(message: string): EmulatorError {
  return new EmulatorError("FORBIDDEN", message);
}

export function unauthenticated(): EmulatorError {
  return new EmulatorError("UNAUTHENTICATED", "Unauthenticated.");
}
