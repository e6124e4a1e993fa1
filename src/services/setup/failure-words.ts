import { UpstreamError } from "../../kernel/errors.ts";
import { solusioErrorIn } from "../../solusio/solusio-error.ts";

/**
 * A failed call in a doctor line. An admin reads the failure's own message; below admin it is told only how the
 * call failed (a status, no answer and why), because the message can name where systems are: a refused
 * connection names host and port, and SolusIO's answer quotes whatever a proxy in front of it says.
 */
export function failureWords(error: unknown, seesWhere: boolean): string {
  if (seesWhere) return (error as Error).message;
  if (!(error instanceof UpstreamError)) return "tokenbill failed here; its log says why";
  if (error.status !== null) return `${error.upstream} answered ${error.status}`;
  const why = solusioErrorIn(error)?.noAnswer;
  if (why?.kind === "timeout") return `${error.upstream} did not answer in time`;
  const code = why?.kind === "tls" || why?.kind === "network" ? why.code : undefined;
  return `no answer from ${error.upstream}${code ? ` (${code})` : ""}`;
}
