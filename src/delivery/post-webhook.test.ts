import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { PermanentJobError } from "../jobs/job-runner.ts";
import { postWebhook } from "./post-webhook.ts";

// Which failures of a webhook POST are retried and which are final (docs/webhooks.md). Nothing listens on
// 127.0.0.1:2: a connection there is refused. A port below 1024 is never one the kernel hands a server asking for
// port 0, as every server of this suite does; 41899, used until 2026-12-07, is inside that range (32768–60999
// on Linux), so any test's server could be listening there and the refused connection was answered. Not port 1:
// fetch refuses it unasked (the Fetch standard's bad ports), with no ECONNREFUSED.

const request = { headers: { "content-type": "application/json" }, body: "{}", timeoutMs: 2_000 };

describe("postWebhook", () => {
  it("fails permanently, with fetch's reason and without the password, on a URL fetch will not send", async () => {
    const error = await postWebhook("http://hook:secret-pw@127.0.0.1:2/in", request).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error.message).toMatch(/^webhook http:\/\/127\.0\.0\.1:2: request not sent: .*credentials/);
    expect(error.message).not.toContain("secret-pw");
  });

  it("retries a refused connection", async () => {
    const error = await postWebhook("http://127.0.0.1:2/in", request).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentJobError);
    expect(error.message).toBe("webhook http://127.0.0.1:2: connection failed (ECONNREFUSED)");
  });
});

describe("postWebhook given the attempt's signal", () => {
  it("sends nothing once the runner has given up on the attempt", async () => {
    let received = 0;
    const server = createServer((_, response) => {
      received++;
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
    try {
      expect(await postWebhook(url, request)).toBe(204);
      const givenUp = new AbortController();
      givenUp.abort();
      await expect(postWebhook(url, { ...request, signal: givenUp.signal })).rejects.toThrow();
      expect(received).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
