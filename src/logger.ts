import { pino, type Logger } from "pino";
import type { Config } from "./config.ts";

/** Structured JSON logs. Secrets never reach them: config is logged only through describeConfig(). */
export function createLogger(
  config: Pick<Config, "LOG_LEVEL">,
  destination: "stdout" | "stderr" = "stdout",
): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service: "tokenbill" },
      redact: {
        paths: ["req.headers.authorization", "*.token", "*.password", "*.api_token"],
        censor: "********",
      },
    },
    pino.destination(destination === "stdout" ? 1 : 2),
  );
}
