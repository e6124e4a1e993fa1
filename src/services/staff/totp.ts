import { generate, generateSecret, generateURI, verify } from "otplib";

// The TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s, what every authenticator app speaks) through
// otplib. One step either side is accepted, for clocks a little apart; a step at or before the last one
// used is refused, so a code seen over a shoulder cannot be replayed within its 30 seconds.

export const TOTP_ISSUER = "tokenbill";

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, account: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: account, secret });
}

/** The time step the code belongs to, or undefined when it is wrong, stale or already used. */
export async function checkTotp(
  secret: string,
  code: string,
  at: Date,
  lastStep: bigint | null,
): Promise<bigint | undefined> {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return undefined;
  const result = await verify({
    secret,
    token,
    epoch: Math.floor(at.getTime() / 1000),
    epochTolerance: 30,
    ...(lastStep === null ? {} : { afterTimeStep: Number(lastStep) }),
  });
  return result.valid && "timeStep" in result ? BigInt(result.timeStep) : undefined;
}

/** The code an authenticator shows at `at` (tests, and nothing else). */
export function totpCodeAt(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}
