import { type ZodError, z } from "zod";
import "./plain-zod-wording.ts";
import { ServiceError } from "./errors.ts";
import type { ServiceContext } from "./context.ts";

// A verb validates its own input: whichever adapter calls it — the HTTP API, the CLI, a
// job, the portal to come, a test — the input goes through the verb's schema first, so no adapter can skip
// validation. Schemas accept their own output (an id already parsed to a bigint, a canonical decimal), so
// an adapter that validated the same input already (the HTTP routes, for field-named 400s and the OpenAPI
// document) may hand the verb either form.

/** A zod failure as a VALIDATION error naming each field (`prefix.field` when a prefix is given). */
export function zodToServiceError(error: ZodError, prefix?: string): ServiceError {
  const fieldOf = (path: string) => (prefix ? (path ? `${prefix}.${path}` : prefix) : path || "(body)");
  const issues = error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    // An unknown key is reported against the key itself, so the caller sees which field to remove.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: fieldOf(path ? `${path}.${key}` : key),
        message: "unknown field",
      }));
    }
    return [{ field: fieldOf(path), message: issue.message }];
  });
  return ServiceError.invalid(issues);
}

export interface VerbCall<I> {
  ctx: ServiceContext;
  input: I;
}

export type Verb<S extends z.ZodType, R> = ((args: VerbCall<z.input<S> | z.output<S>>) => Promise<R>) & {
  /** The input schema, for adapters that describe the verb (OpenAPI) or validate early. */
  readonly input: S;
};

/** Declares a verb: `run` receives input that `schema` has parsed, never what the caller sent. */
export function defineVerb<S extends z.ZodType, R>(
  schema: S,
  run: (args: VerbCall<z.output<S>>) => Promise<R>,
): Verb<S, R> {
  const verb = async ({ ctx, input }: VerbCall<z.input<S> | z.output<S>>): Promise<R> => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) throw zodToServiceError(parsed.error);
    return run({ ctx, input: parsed.data });
  };
  return Object.assign(verb, { input: schema });
}

/** The input of a verb that takes none. */
export const NoInput = z.object({}).strict();
