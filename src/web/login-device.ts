import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { fastifyCookie } from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { cookieSecurity, FACES, type SessionKind } from "./session-cookie.ts";

// Known devices (OWASP's "device cookies" against slow brute force). The per-e-mail count of wrong logins
// (LOGIN_FAILURES_PER_EMAIL) stops a guess spread over many addresses, but until 2026-12-06 it also let
// anyone keep a staff member out of the console: five wrong passwords from anywhere made the right one 429.
// A browser that has logged in to an account gets a cookie naming a random device id, bound to that account
// and its current password hash (or, for a portal account without one, the fact: customerDeviceSubject) and
// device epoch (raised by "log out everywhere", src/services/staff/device-epoch.ts) by an HMAC (key:
// app_secret `login-device`, the same on every instance),
// valid for 90 days and renewed at each login (by a password or, on the portal, an e-mailed link). A login
// carrying a valid one for the account typed is counted per device (the same tight number) instead of per
// e-mail and per address, and so is its two-factor code, so a stranger's wrong guesses (or codes, or many
// accounts tried from the same NAT address) do not lock it out; a login without one (or with one of another account, forged, expired, or minted before the
// password last changed or the person last logged out everywhere: both are in the HMAC) is counted as before. The cookie is given only when the
// login is complete (after the second factor), never skips a step, and is never logged.

export const DEVICE_DAYS = 90;
const DEVICE_COOKIE: Record<SessionKind, string> = {
  staff: "tb_console_device",
  customer: "tb_portal_device",
};
/** Longer than any value this module makes; anything longer is not read. */
const MAX_LENGTH = 120;

/** The account a login names, with the stamp its device cookies are bound to (its password hash, or none). */
export interface DeviceSubject {
  id: string;
  stamp: string;
}

export class LoginDevices {
  constructor(
    private readonly key: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new cookie value for the account (keeping `deviceId` when given) and how long it lasts. */
  mint(
    kind: SessionKind,
    subject: DeviceSubject,
    deviceId?: string,
  ): { value: string; maxAgeSeconds: number } {
    const id = deviceId ?? randomBytes(16).toString("base64url");
    const maxAgeSeconds = DEVICE_DAYS * 86_400;
    const expires = Math.floor(this.now().getTime() / 1000) + maxAgeSeconds;
    return { value: `${id}.${expires}.${this.mac(kind, subject, id, expires)}`, maxAgeSeconds };
  }

  /** The device id of a cookie value that is this account's, unexpired and unforged; else undefined. */
  deviceOf(kind: SessionKind, value: string | undefined, subject: DeviceSubject): string | undefined {
    if (!value || value.length > MAX_LENGTH) return undefined;
    const [id, expiresText, mac, ...rest] = value.split(".");
    if (!id || !expiresText || !mac || rest.length > 0 || !/^\d{1,12}$/.test(expiresText)) return undefined;
    const expires = Number(expiresText);
    if (expires * 1000 <= this.now().getTime()) return undefined;
    const expected = Buffer.from(this.mac(kind, subject, id, expires));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  private mac(kind: SessionKind, subject: DeviceSubject, id: string, expires: number): string {
    return createHmac("sha256", this.key)
      .update(`login-device\n${kind}\n${subject.id}\n${subject.stamp}\n${id}\n${expires}`)
      .digest("base64url");
  }
}

/** The device cookie a request carries for this face (read from the header, as sessionToken does). */
export function deviceCookie(request: FastifyRequest, kind: SessionKind): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return fastifyCookie.parse(header)[DEVICE_COOKIE[kind]] || undefined;
}

/**
 * The paths a face's device cookie is given on: the routes that count by device and no more. The console's
 * login (its second factor's page included); the portal's login (its e-mailed link's request and page
 * included) and its reset request (until 2026-12-06 the cookie's path was the login's alone, so a reset
 * request never carried it and was counted by the e-mail even from the owner's own browser). A cookie has one
 * path, so the portal's is given twice, one copy a path, the same value.
 */
export const DEVICE_PATHS: Record<SessionKind, readonly string[]> = {
  staff: [FACES.staff.login],
  customer: [FACES.customer.login, "/portal/password-reset"],
};

/**
 * Gives the browser a renewed device cookie for the account of a complete login: the device id it held for
 * this account is kept, any other value is replaced. On each of the face's DEVICE_PATHS, HttpOnly,
 * SameSite=Strict, Secure as the session cookie is.
 */
export function setDeviceCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  devices: LoginDevices,
  kind: SessionKind,
  subject: DeviceSubject,
): void {
  const known = devices.deviceOf(kind, deviceCookie(request, kind), subject);
  const { value, maxAgeSeconds } = devices.mint(kind, subject, known);
  for (const path of DEVICE_PATHS[kind])
    reply.setCookie(DEVICE_COOKIE[kind], value, {
      path,
      httpOnly: true,
      sameSite: "strict",
      maxAge: maxAgeSeconds,
      ...cookieSecurity(config),
    });
}
