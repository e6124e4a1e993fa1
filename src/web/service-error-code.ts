import { ServiceError } from "../kernel/errors.ts";

/** The ServiceError code of an error (zod failures count as VALIDATION), or undefined for anything else. */
export function asServiceErrorCode(error: unknown): string | undefined {
  if (error instanceof ServiceError) return error.code;
  if (error && typeof error === "object" && (error as { name?: unknown }).name === "ZodError")
    return "VALIDATION";
  return undefined;
}
