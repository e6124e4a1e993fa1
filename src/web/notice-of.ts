import type { FastifyRequest } from "fastify";

// The notices of the console's login and account pages and the portal's login page, in a file of their own:
// the console's login pages and its account pages each read them, and imported each other for them.

/** Fixed notices chosen by a query key: nothing from the URL is ever echoed into the page. */
const NOTICES: Record<string, string> = {
  logged_out: "You are logged out.",
  logged_out_everywhere: "You are logged out on every device.",
  totp_on: "Two-factor login is on. Your next login asks for a code.",
  totp_cancelled: "The two-factor set-up is cancelled: its key no longer works, so remove it from your app.",
  password_changed: "Your password is changed. Log in with the new one.",
  own_password_changed: "Your password is changed. Your sessions on other devices have ended.",
};

export function noticeOf(request: FastifyRequest): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.["notice"];
  return typeof key === "string" ? NOTICES[key] : undefined;
}
