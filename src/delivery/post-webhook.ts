import { PermanentJobError } from "../jobs/job-runner.ts";
import { endpointOf } from "./invoice-jobs.ts";

export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * One delivery attempt. Resolves with the status on 2xx. `signal` (the job attempt's, JobRun.signal) ends it:
 * nothing is sent once it is aborted, and a POST in flight is given up (the receiver may have it: the
 * webhook-id is the same on the next attempt). Throws PermanentJobError for a 4xx other than
 * 408/429 (the receiver refuses this request and will refuse it again) or a request fetch will not even
 * send (say a URL with credentials), and a plain Error — retried with backoff — for anything else: 3xx,
 * 5xx, 408, 429, a timeout or a network failure.
 */
export async function postWebhook(
  url: string,
  request: { headers: Record<string, string>; body: string; timeoutMs?: number; signal?: AbortSignal },
): Promise<number> {
  const endpoint = endpointOf(url);
  const timeoutMs = request.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  request.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      // A redirect would resend signed invoice data to wherever it points: not followed, retried.
      redirect: "manual",
      signal: request.signal ? AbortSignal.any([timeout, request.signal]) : timeout,
    });
  } catch (e) {
    // fetch's own TypeError without a cause refuses the request before any connection: it never will.
    // (A network failure is a TypeError "fetch failed" with the socket's error as its cause.)
    if (e instanceof TypeError && e.cause === undefined) {
      const message = e.message.split(url).join(endpoint); // it quotes the URL, credentials and all
      throw new PermanentJobError(`webhook ${endpoint}: request not sent: ${message}`);
    }
    throw new Error(`webhook ${endpoint}: ${failureOf(e, timeoutMs)}`);
  }
  // The answer's body is not needed; release the connection without reading (or logging) it.
  await response.body?.cancel().catch(() => {});
  const status = response.status;
  if (status >= 200 && status < 300) return status;
  const message = `webhook ${endpoint} answered HTTP ${status}`;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentJobError(message);
  throw new Error(message);
}

function failureOf(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && e.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const code = (e as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === "string" ? `connection failed (${code})` : "connection failed";
}
