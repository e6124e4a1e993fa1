import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SolusioClient } from "./solusio-client.ts";
import { SolusioError } from "./solusio-error.ts";

// Many SolusIO installations use self-signed certificates: verification is on by default and can be
// skipped on request (SOLUSIO_TLS_INSECURE). A throw-away certificate made with openssl stands in.

let server: Server;
let url: string;
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  if (!hasOpenssl) return;
  const dir = mkdtempSync(join(tmpdir(), "tb-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  const key = readFileSync(join(dir, "key.pem"));
  const cert = readFileSync(join(dir, "cert.pem"));
  rmSync(dir, { recursive: true, force: true });
  server = createServer({ key, cert }, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        data: { id: 1, email: "admin@example.com", status: "active", billing_user_id: null },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `https://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api/v1`;
});
afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
});

describe.skipIf(!hasOpenssl)("TLS verification", () => {
  it("refuses a self-signed certificate by default and accepts it when told to skip verification", async () => {
    const strict = new SolusioClient({ baseUrl: url, token: "t", maxRetries: 0 });
    const error = await strict.call("GET", "account").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SolusioError);
    expect((error as SolusioError).message).toMatch(/certificate/i);
    const insecure = new SolusioClient({ baseUrl: url, token: "t", maxRetries: 0, tlsInsecure: true });
    const account = (await insecure.call("GET", "account")) as { data: { email: string } };
    expect(account.data.email).toBe("admin@example.com");
    await strict.close();
    await insecure.close();
  });
});
