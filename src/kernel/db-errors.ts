import { ServiceError } from "./errors.ts";

// PostgreSQL SQLSTATEs that bad input can still reach after service checks (races, constraints).
const UNIQUE_VIOLATION = "23505";
const FOREIGN_KEY_VIOLATION = "23503";
const CHECK_VIOLATION = "23514";
const NOT_NULL_VIOLATION = "23502";

/**
 * Turns a constraint violation into a 4xx-class ServiceError; anything else is rethrown unchanged. The
 * message says what clashed in the request's own terms, from PostgreSQL's detail ("Key (plan_name)=(Pro)
 * already exists."), not the constraint's name: until 2026-12-06 a rename into a taken name answered
 * "plan price 2 already exists (plan_price_plan_name_key)", naming the row being edited.
 */
export function mapDbError(e: unknown, what: string): never {
  const {
    code,
    constraint = "",
    detail = "",
  } = (e ?? {}) as {
    code?: unknown;
    constraint?: string;
    detail?: string;
  };
  if (code === UNIQUE_VIOLATION) {
    const key = keyOf(detail, /already exists/);
    throw new ServiceError(
      "CONFLICT",
      key ? `${what}: ${key} is already taken` : `${what} conflicts with an existing record`,
    );
  }
  if (code === FOREIGN_KEY_VIOLATION) {
    const referencing = /is still referenced from table "([^"]+)"/.exec(detail)?.[1];
    if (referencing)
      throw new ServiceError("CONFLICT", `${what} is still referred to by ${referencing} records`);
    const key = keyOf(detail, /is not present in table/);
    throw new ServiceError(
      "CONFLICT",
      key ? `${what}: ${key} does not exist` : `${what} refers to a record that does not exist`,
    );
  }
  if (code === CHECK_VIOLATION || code === NOT_NULL_VIOLATION)
    throw new ServiceError("VALIDATION", `${what} violates a rule of the database (${constraint})`);
  throw e;
}

/** `plan_name "Pro"` from "Key (plan_name)=(Pro) already exists."; undefined for another shape of detail. */
function keyOf(detail: string, tail: RegExp): string | undefined {
  // The key runs to the first ")=(": an expression index names it with parentheses of its own, "lower(email)".
  const m = /^Key \((.*?)\)=\((.*)\) ([a-z][^()]*)$/.exec(detail);
  if (!m || !tail.test(m[3] ?? "")) return undefined;
  return `${m[1]} ${JSON.stringify(m[2])}`;
}
