import { randomBytes } from "node:crypto";
import { findUser, nextId } from "../state/state.ts";
import type { AccessTokenRecord, EmulatorState, SessionRecord, UserRecord } from "../state/types.ts";

/** How long a one-time login token is good for [OURS]: the billing side redirects at once after minting. */
export const ONE_TIME_TOKEN_TTL_MS = 60 * 60 * 1000;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("hex");
}

export function mintAccessToken(
  state: EmulatorState,
  now: Date,
  user: UserRecord,
  isOneTime: boolean,
): AccessTokenRecord {
  const record: AccessTokenRecord = {
    id: nextId(state, "token"),
    token: randomToken(),
    userId: user.id,
    isOneTime,
    createdAt: now.toISOString(),
    usedAt: null,
    expiresAt: isOneTime ? new Date(now.getTime() + ONE_TIME_TOKEN_TTL_MS).toISOString() : null,
  };
  state.tokens.push(record);
  return record;
}

function usable(record: AccessTokenRecord, now: Date): boolean {
  if (record.usedAt !== null) return false;
  return record.expiresAt === null || Date.parse(record.expiresAt) > now.getTime();
}

/** A user's token is also a Bearer API token acting as that user (§2); a one-time token only until used. */
export function userForBearer(state: EmulatorState, now: Date, token: string): UserRecord | undefined {
  const record = state.tokens.find((t) => t.token === token);
  if (!record || !usable(record, now)) return undefined;
  return findUser(state, record.userId);
}

/** /auth/by_token: a one-time token works once; a used, expired or unknown one gives undefined (→ 401). */
export function consumeLoginToken(state: EmulatorState, now: Date, token: string): UserRecord | undefined {
  const record = state.tokens.find((t) => t.token === token);
  if (!record || !usable(record, now)) return undefined;
  const user = findUser(state, record.userId);
  if (!user) return undefined;
  if (record.isOneTime) record.usedAt = now.toISOString();
  return user;
}

export function openSession(state: EmulatorState, now: Date, user: UserRecord): SessionRecord {
  const session: SessionRecord = { id: randomToken(), userId: user.id, createdAt: now.toISOString() };
  state.sessions.push(session);
  return session;
}

export function userForSession(state: EmulatorState, sessionId: string): UserRecord | undefined {
  const session = state.sessions.find((s) => s.id === sessionId);
  return session ? findUser(state, session.userId) : undefined;
}

export function closeSession(state: EmulatorState, sessionId: string): void {
  state.sessions = state.sessions.filter((s) => s.id !== sessionId);
}
