// Which settings hold secrets or URLs that may carry credentials: describing masks them, and loading warns of
// a config file that others may read while it holds them.

/** Keys whose values are never printed or logged. */
export const SECRET_KEYS = [
  "TOKENBILL_ADMIN_API_KEY",
  "SOLUSIO_PRICING_TOKEN",
  "SOLUSIO_API_TOKEN",
  "SMTP_PASSWORD",
  "WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
] as const;

/** Keys holding URLs: printed and logged only through maskUrl(), as they may carry credentials. */
export const URL_KEYS = [
  "SOLUSIO_URL",
  "SOLUSIO_USER_AREA_URL",
  "TOKENBILL_PUBLIC_URL",
  "DATABASE_URL",
  "DATABASE_LISTEN_URL",
  "WEBHOOK_URLS",
  "STRIPE_API_URL",
  "STRIPE_SUCCESS_URL",
  "STRIPE_CANCEL_URL",
];
