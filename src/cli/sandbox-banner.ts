// What `serve` prints on stderr when the sandbox starts: where everything is, and how to get in.

/** What the banner tells a person to send as the admin key; never the key itself. */
export function keyHint(
  config: { TOKENBILL_ADMIN_API_KEY?: string | undefined; DATA_DIR: string },
  file: string | undefined,
): string {
  if (config.TOKENBILL_ADMIN_API_KEY) return "$TOKENBILL_ADMIN_API_KEY";
  if (file) return `$(cat ${file})`;
  // No command can reach a database in memory (each would open its own), so no key can be made for it later.
  if (config.DATA_DIR === "memory://") return "<set TOKENBILL_ADMIN_API_KEY: memory:// keeps no key file>";
  return "<a key from `tokenbill apikey create`>";
}

/**
 * `url` as a browser on this machine opens it: a server listening on every address (HOST=0.0.0.0 or ::)
 * is reached at the loopback address; no browser opens http://0.0.0.0 on every system (until 2026-12-06 the
 * banner showed it).
 */
export function browsable(url: string): string {
  const u = new URL(url);
  if (u.hostname === "0.0.0.0") u.hostname = "127.0.0.1";
  else if (u.hostname === "[::]") u.hostname = "[::1]";
  return u.toString().replace(/\/$/, "");
}

export function sandboxBanner(
  serverUrl: string,
  emulatorServerUrl: string,
  key: string,
  logins: { file: string | undefined; staffEmail: string },
  mail: { smtpHost: string | undefined } = { smtpHost: undefined },
): string {
  const url = browsable(serverUrl);
  const emulatorUrl = browsable(emulatorServerUrl);
  // With DATA_DIR=memory:// the demo logins are made but written nowhere: nobody can log in, and the banner
  // says so instead of naming a login whose password is nowhere (until 2026-12-06).
  const staff = logins.file
    ? `(log in as ${logins.staffEmail})`
    : "(no login: DATA_DIR is memory://, which keeps no passwords)";
  const customers = logins.file ? "(demo customers' logins)" : "(no login, as above)";
  const where = logins.file
    ? `passwords in ${logins.file}`
    : "none kept (memory://): use a DATA_DIR to log in to the console and the portal";
  return [
    "",
    "  ┌─ tokenbill — SANDBOX MODE ─────────────────────────────────────────────",
    "  │ No SolusIO is configured, so the built-in SolusIO emulator runs here.",
    `  │ Staff console         ${url}/console   ${staff}`,
    `  │ Customer portal       ${url}/portal    ${customers}`,
    `  │ Demo logins           ${where}`,
    `  │ tokenbill admin API   ${url}/api/v1   (Authorization: Bearer ${key})`,
    `  │ GetTokenPricing       ${url}${"/solusio/api"}`,
    `  │ SolusIO emulator API  ${emulatorUrl}/api/v1`,
    `  │ SolusIO user area     ${emulatorUrl}  (log in: POST ${url}/api/v1/customers/1/sso)`,
    // Said as it is for this start: until 2026-12-06 the line said "Without SMTP_HOST, … the log" with SMTP_HOST set.
    mail.smtpHost
      ? `  │ Portal login and reset links are e-mailed through ${mail.smtpHost}.`
      : "  │ SMTP_HOST is not set: portal login and reset links are written to the log.",
    "  │ Set SOLUSIO_URL and SOLUSIO_API_TOKEN to use a real SolusIO instead.",
    "  └────────────────────────────────────────────────────────────────────────",
    "",
  ].join("\n");
}
