import { ServiceError } from "./errors.ts";

// PostgreSQL SQLSTATEs that bad input can still reach after service checks (races, constraints).
const UNIQUE_VIOLATION = "23505";
const FOREIGN_KEY_VIOLATION = "23503";
const CHECK_VIOLATION = "23514";
const NOT_NULL_VIOLATION = "23502";

/** Turns a constraint violation into a 4xx-class ServiceError; anything else is rethrown unchanged. */
export function mapDbError(e: unknown, what: string): never {
  const code = (e as { code?: unknown })?.code;
  const constraint = (e as { constraint?: string })?.constraint ?? "";
  if (code === UNIQUE_VIOLATION) throw new ServiceError("CONFLICT", `${what} already exists (${constraint})`);
  if (code === FOREIGN_KEY_VIOLATION)
    throw new ServiceError(
      "CONFLICT",
      `${what} is referenced by or refers to a missing record (${constraint})`,
    );
  if (code === CHECK_VIOLATION || code === NOT_NULL_VIOLATION)
    throw new ServiceError("VALIDATION", `${what} violates a rule of the database (${constraint})`);
  throw e;
}
