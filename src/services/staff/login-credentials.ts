import { z } from "zod";
import { ServiceError } from "../../kernel/errors.ts";
import { zodToServiceError } from "../../kernel/verb.ts";
import { StaffEmail } from "./staff-users.ts";

// What a password login sends, on the console (staff) and the portal (customers) alike: one schema and one
// refusal, so the two login pages bound and answer the same way.

export const LoginCredentials = z
  .object({
    email: StaffEmail,
    password: z.string().min(1, "enter your password").max(200, "must be at most 200 characters"),
  })
  .strict();

/** The credentials checked; a VALIDATION error naming the field (email or password) for the login page. */
export function parseLoginCredentials(
  credentials: z.input<typeof LoginCredentials>,
): z.output<typeof LoginCredentials> {
  const parsed = LoginCredentials.safeParse(credentials);
  if (!parsed.success) throw zodToServiceError(parsed.error);
  return parsed.data;
}

/** The one answer to an unknown e-mail, a wrong password or an account that may not log in. */
export function wrongLogin(): ServiceError {
  return new ServiceError("UNAUTHORIZED", "wrong e-mail or password");
}
