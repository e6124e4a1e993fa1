import type { z } from "zod";
import { validationError, type FieldErrors } from "../errors.ts";

// Turns zod issues into the Laravel-style body SolusIO answers with: 422 {message, errors: {field: [..]}},
// field names dotted ("roles.0"), messages a person can act on.

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(issue: z.core.$ZodIssue, field: string, input: unknown): string {
  if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined)
    return `The ${field} field is required.`;
  switch (issue.code) {
    case "invalid_type":
      return `The ${field} must be ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}.`;
    case "invalid_format":
      return issue.format === "email"
        ? `The ${field} must be a valid email address.`
        : `The ${field} must be a valid ${issue.format}.`;
    case "invalid_value":
      return `The ${field} must be one of: ${issue.values.map(String).join(", ")}.`;
    case "too_small":
      return `The ${field} must be at least ${String(issue.minimum)}${issue.origin === "string" ? " characters" : ""}.`;
    case "too_big":
      return `The ${field} may not be greater than ${String(issue.maximum)}${issue.origin === "string" ? " characters" : ""}.`;
    case "invalid_union":
      return `The ${field} is not valid.`;
    default:
      return `The ${field} ${issue.message}.`;
  }
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join(".") || "body";
    const list = errors[field] ?? [];
    list.push(describe(issue, field, input));
    errors[field] = list;
  }
  throw validationError(errors);
}
