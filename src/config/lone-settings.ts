import type { Config } from "./config-schema.ts";

// Settings read only together with a partner. The other way round, a setting that needs its partner to work
// (SOLUSIO_URL its token, WEBHOOK_URLS their secret, STRIPE_SECRET_KEY its webhook secret) is refused in
// config-schema.ts, as what it switches on would run broken. Given alone, these switch nothing on: what they
// belong to stays off and nothing runs wrong, so they are a warning, never a refusal that would stop an
// installation at an upgrade (the config file's permissions are warned about for the same reason).

const LONE: readonly { key: keyof Config; partner: keyof Config; off: string }[] = [
  {
    key: "SOLUSIO_API_TOKEN",
    partner: "SOLUSIO_URL",
    off: "no SolusIO is configured (sandbox mode where it may run)",
  },
  { key: "WEBHOOK_SECRET", partner: "WEBHOOK_URLS", off: "no webhooks are sent" },
  { key: "STRIPE_WEBHOOK_SECRET", partner: "STRIPE_SECRET_KEY", off: "online payments are off" },
  { key: "SMTP_PASSWORD", partner: "SMTP_USER", off: "mail is sent without logging in" },
];

function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}

/** One line for each setting given without the partner it is read with, naming both and the fix. */
export function loneSettingWarnings(config: Config): string[] {
  return LONE.filter(({ key, partner }) => given(config[key]) && !given(config[partner])).map(
    ({ key, partner, off }) =>
      `warning: ${key} is set without ${partner}, so it is not used: ${off}; set ${partner} too, or unset ${key}`,
  );
}
