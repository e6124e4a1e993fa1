import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { PermanentJobError } from "../jobs/job-runner.ts";
import { postWebhook } from "./post-webhook.ts";

// Which failures of a webhook POST are retried and which are final (docs/webhooks.md). Nothing listens on
// 127.0.0.1:41899 (this suite's port range): a connection there is refused.

const request = { headers: { "content-type": "application/json" }, body: "{}", timeoutMs: 2_000 };

describe("postWebhook", () => {
  it("fails permanently, with fetch's reason and without the password, on a URL fetch will not send", async () => {
    const error = await postWebhook("http://hook:secret-pw@127.0.0.1:41899/in", request).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error.message).toMatch(/^webhook http:\/\/127\.0\.0\.1:41899: request not sent: .*credentials/);
    expect(error.message).not.toContain("secret-pw");
  });

  it("retries a refused connection", async () => {
    const error = await postWebhook("http://127.0.0.1:41899/in", request).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentJobError);
    expect(error.message).toBe("webhook http://127.0.0.1:41899: connection failed (ECONNREFUSED)");
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
