import { type Config, KNOWN_KEYS } from "./config-schema.ts";
import { maskUrl, maskWebhookUrl } from "./mask-url.ts";
import { SECRET_KEYS, URL_KEYS } from "./sensitive-keys.ts";
import { describeTrustProxy } from "./trust-proxy-setting.ts";

// The configuration as people see it: every setting with secrets and URLs masked (`tokenbill config`, the
// start log), and the address SolusIO reaches tokenbill at.

/** The effective configuration with secrets masked, for `tokenbill config` and the start log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KNOWN_KEYS) {
    const value = (config as Record<string, unknown>)[key];
    if ((SECRET_KEYS as readonly string[]).includes(key))
      out[key] = value === undefined ? undefined : "********";
    else if (key === "WEBHOOK_URLS" && Array.isArray(value))
      out[key] = value.map((u) => maskWebhookUrl(String(u)));
    else if (URL_KEYS.includes(key) && typeof value === "string") out[key] = maskUrl(value);
    else if (URL_KEYS.includes(key) && Array.isArray(value)) out[key] = value.map((u) => maskUrl(String(u)));
    else if (key === "TRUST_PROXY") out[key] = describeTrustProxy(config.TRUST_PROXY);
    else out[key] = value;
  }
  return out;
}

/** Where SolusIO reaches tokenbill; setup pushes this + PRICING_PATH to SolusIO. */
export function publicUrl(config: Config): string {
  if (config.TOKENBILL_PUBLIC_URL !== undefined) return config.TOKENBILL_PUBLIC_URL;
  // An IPv6 address goes in brackets, as `serve` writes its own URL: until 2026-12-05 HOST=::1 gave
  // http://::1:8080, which no client opens, in SSO and portal links and in the pricing URL.
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}
