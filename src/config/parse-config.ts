import { type Config, ConfigSchema } from "./config-schema.ts";

// Turning a raw key/value record into the frozen configuration, and the error that lists every problem.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses a raw key/value record; lists every problem at once. */
export function parseConfig(raw: Record<string, unknown>): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown setting(s): ${issue.keys.join(", ")}`;
      const key = issue.path.join(".") || "(config)";
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  return Object.freeze(result.data);
}
