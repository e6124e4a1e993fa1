import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";

// Passwords of staff and portal users: argon2id (memory-hard, the current OWASP recommendation) through
// @node-rs/argon2, with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane). The PHC string stores its
// own parameters, so raising them later still verifies old hashes.

// 2 is Algorithm.Argon2id (a const enum, which this project's verbatimModuleSyntax cannot import).
const ARGON2ID = 2 as const;
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A password people choose: long enough to resist guessing offline, bounded so hashing stays cheap. */
export const PasswordSchema = z
  .string()
  .min(12, "must be at least 12 characters")
  .max(200, "must be at most 200 characters");

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** False for a wrong password and for a malformed hash alike: neither may log anyone in. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verified when the e-mail is unknown, so an unknown address costs as long as a known one: the answer's
// timing does not tell which addresses have accounts.
let decoy: Promise<string> | undefined;
export async function spendPasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword(randomBytes(16).toString("hex"));
  await verifyPassword(await decoy, password);
}

/** A random password shown once (staff create, sandbox logins): 24 URL-safe characters, 144 bits. */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
