import { type Config, ConfigSchema } from "./config-schema.ts";

// Turning a raw key/value record into the frozen configuration, and the error that lists every problem.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses a raw key/value record; lists every problem at once. `fileOf` names the config file a key's value came
 * from, so that a problem with it says where to look (loadConfig).
 */
export function parseConfig(
  raw: Record<string, unknown>,
  fileOf: (key: string) => string | undefined = () => undefined,
): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const where = (key: string) => {
      const file = fileOf(key);
      return file === undefined ? "" : ` (in config file ${file})`;
    };
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys")
        return `unknown setting(s): ${issue.keys.join(", ")}${where(issue.keys[0] ?? "")}`;
      const key = issue.path.join(".") || "(config)";
      return `${key}: ${issue.message}${where(String(issue.path[0] ?? ""))}`;
    });
    throw new ConfigError(problems);
  }
  return Object.freeze(result.data);
}
