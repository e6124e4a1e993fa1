// The whole configuration of tokenbill, parsed once at start (house style §4). Values come from an optional
// JSON file (TOKENBILL_CONFIG, or ./tokenbill.config.json when present) overlaid by environment variables;
// keys are the environment variable names in both. Nothing else in the program reads process.env.
//
// This file is the one way in: the rest of the program imports these names from here, and the parts live in
// src/config/: the kinds of setting (setting-kinds.ts, setting-shapes.ts, trust-proxy-setting.ts), the
// settings and their cross-setting checks (config-schema.ts), parsing and loading (parse-config.ts,
// load-config.ts), and describing (describe-config.ts, mask-url.ts, sensitive-keys.ts).

export { type Config, type ConfigInput, ConfigSchema, USAGE_SOURCES } from "./config/config-schema.ts";
export { describeConfig, publicUrl } from "./config/describe-config.ts";
export { type ConfigWarning, loadConfig } from "./config/load-config.ts";
export { maskUrl, maskUrlsIn } from "./config/mask-url.ts";
export { ConfigError, parseConfig } from "./config/parse-config.ts";
export { SECRET_KEYS, URL_KEYS } from "./config/sensitive-keys.ts";
