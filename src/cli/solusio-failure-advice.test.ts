import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import {
  type SharedCommandDataDir,
  sharedCommandDataDir,
  tokenbillCommand,
} from "../../test/helpers/tokenbill-command.ts";
import { ServiceError } from "../kernel/errors.ts";
import { SolusioClient } from "../solusio/solusio-client.ts";
import { SolusioError } from "../solusio/solusio-error.ts";
import { inSolusioTokenTerms } from "./solusio-refusal.ts";

// Every way a SolusIO call fails comes with its own advice, in a command's error line and in doctor's fix
// (both solusio-failure-fix.ts): until 2026-12-06 only "no answer" had any, one sentence for a refused
// connection, a certificate and a timeout alike. The failures are the emulator's faults (docs/emulator.md),
// a wrong SOLUSIO_URL or token, and a TLS server with a throw-away certificate.

const USER_TOKEN = "client-user-token-0123456789";

let em: RunningEmulator;
let data: SharedCommandDataDir;

beforeAll(async () => {
  em = await startEmulator({
    port: 0,
    logger: false,
    seed: { users: [{ id: 5, email: "client@example.com", api_token: USER_TOKEN }] },
  });
  data = await sharedCommandDataDir();
});
afterEach(async () => {
  await faults({ rules: [] });
});
afterAll(async () => {
  await em?.close();
  await data?.remove();
});

async function faults(rules: unknown): Promise<void> {
  const r = await fetch(`${em.url}/_emulator/faults`, {
    method: "POST",
    headers: { authorization: `Bearer ${em.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(rules),
  });
  expect(r.status).toBe(200);
}

/** What a command says when `GET users` fails so: its refusal (code and line), as main.ts makes it. */
async function refusal(options: { baseUrl?: string; token?: string; timeoutMs?: number } = {}) {
  const client = new SolusioClient({
    baseUrl: options.baseUrl ?? em.apiUrl,
    token: options.token ?? em.adminToken,
    maxRetries: 0,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  try {
    const error = await client.call("GET", "users").then(
      () => undefined,
      (e: unknown) => e,
    );
    const said = inSolusioTokenTerms(error);
    expect(said).toBeInstanceOf(ServiceError);
    const { code, message } = said as ServiceError;
    // What the line adds after the call's own words (which quote SolusIO's answer).
    const advice = message.slice(`SolusIO: ${(error as Error).message}: `.length);
    return { code, message, advice };
  } finally {
    await client.close();
  }
}

/**
 * The advice after a call's own words, which name SolusIO's status, does not say it again ("SolusIO answered
 * 503", "refused the request with 422"). The 5xx advice names a 502 and a 504 as kinds of failure: not a repeat.
 */
function saysStatusOnce(advice: string, status: number): boolean {
  return !new RegExp(`answered ${status}|with ${status}`).test(advice);
}

/** A command's error line after the emulator's injected answer ("… HTTP 503."): the advice. */
function adviceAfter(line: string, status: number): string {
  const answer = `HTTP ${status}.: `;
  expect(line).toContain(answer);
  return line.slice(line.indexOf(answer) + answer.length);
}

describe("the advice for each way a SolusIO call fails", () => {
  it("401: the token, where it is set and how SolusIO makes one", async () => {
    expect(await refusal({ token: "not-the-token" })).toMatchObject({
      code: "UNAUTHORIZED",
      message:
        "SolusIO: GET users: 401 Unauthenticated.: SOLUSIO_API_TOKEN is not accepted (unknown to SolusIO, " +
        "expired or revoked): make one in SolusIO logged in as a user with the Admin role (Account > API " +
        "Tokens > Generate API Token) and set it as SOLUSIO_API_TOKEN (in tokenbill's environment or its " +
        "config file, TOKENBILL_CONFIG)",
    });
  });

  it("403: the token's user needs the Admin role", async () => {
    const r = await refusal({ token: USER_TOKEN });
    expect(r.code).toBe("FORBIDDEN");
    expect(r.message).toMatch(
      /^SolusIO: GET users: 403 .*: SOLUSIO_API_TOKEN's user lacks the Admin role: make one in SolusIO logged in as a user with the Admin role \(Account > API Tokens > Generate API Token\)/,
    );
  });

  it("404: SOLUSIO_URL is not the API (no /api/v1)", async () => {
    const r = await refusal({ baseUrl: em.url });
    expect(r.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(r.message).toMatch(
      /^SolusIO: GET users: 404 .*: SolusIO does not know this address: check that SOLUSIO_URL is SolusIO's API, its address with \/api\/v1 at the end \(https:\/\/solus\.example\.com\/api\/v1\), not the address of its web pages$/,
    );
  });

  it("429: rate limited, with the wait SolusIO asked for", async () => {
    await faults({ path: "/api/v1/users", error_rate: 1, error_status: 429, retry_after: 30 });
    const r = await refusal();
    expect(r.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(r.message).toMatch(
      /^SolusIO: GET users: 429 .*: SolusIO, or a proxy in front of it, limits how often tokenbill may call \(it asked for a wait of 30 s\); run the command again later, run fewer tokenbill commands at once/,
    );
    expect(saysStatusOnce(r.advice, 429), r.advice).toBe(true);
  });

  it("5xx: SolusIO's side, nothing of tokenbill's", async () => {
    for (const status of [500, 502, 503]) {
      await faults({ path: "/api/v1/users", error_rate: 1, error_status: status });
      const r = await refusal();
      expect(r.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(r.message).toMatch(
        new RegExp(
          `^SolusIO: GET users: ${status} .*: SolusIO is failing or busy, which is not a setting of tokenbill's; run the command again in a few minutes, and if it lasts, check SolusIO itself`,
        ),
      );
      expect(saysStatusOnce(r.advice, status), r.advice).toBe(true);
    }
  });

  it("another refusal (422): says that SolusIO refused, without the status again, as its answer is quoted", () => {
    // The emulator injects only 429 and 5xx: a 422 as the client makes it from SolusIO's answer.
    const error = new SolusioError("POST users: 422 The given data was invalid. (email: taken)", 422, false);
    const said = inSolusioTokenTerms(error) as ServiceError;
    expect(said.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(said.message).toBe(
      "SolusIO: POST users: 422 The given data was invalid. (email: taken): SolusIO refused the request; its answer is quoted before this",
    );
  });

  it("a timeout: SOLUSIO_TIMEOUT_MS and what may hold the answer", async () => {
    await faults({ path: "/api/v1/users", latency_ms: 2_000 });
    const r = await refusal({ timeoutMs: 100 });
    expect(r).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message:
        "SolusIO: GET users: no complete answer within the timeout of 100 ms: SolusIO did not answer within " +
        "SOLUSIO_TIMEOUT_MS: check that SolusIO is up and not overloaded, and that nothing between (a firewall, " +
        "a proxy) holds the connection; raise SOLUSIO_TIMEOUT_MS if its answers are merely slow",
    });
  });

  it("https:// to a plain HTTP port: no TLS handshake, check the scheme and port", async () => {
    const r = await refusal({ baseUrl: em.apiUrl.replace("http://", "https://") });
    expect(r.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(r.message).toMatch(
      /: no TLS handshake with SOLUSIO_URL's address \(ERR_SSL_[A-Z_]+\): check http:\/\/ or https:\/\/ and the port in SOLUSIO_URL/,
    );
  });

  it("a refused connection keeps the address advice", async () => {
    const r = await refusal({ baseUrl: "http://127.0.0.1:9/api/v1" });
    expect(r.message).toMatch(
      /ECONNREFUSED.*: check SOLUSIO_URL \(it ends in \/api\/v1\), the network, and SOLUSIO_TLS_INSECURE/,
    );
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)("a certificate tokenbill does not trust", () => {
  let server: Server;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-tls-advice-"));
    try {
      execFileSync(
        "openssl",
        [
          ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
          ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ],
        { stdio: "ignore" },
      );
      server = createServer(
        { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
        (_req, res) => res.end("{}"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  it("names the certificate's problem and the ways to trust it", async () => {
    const { port } = server.address() as AddressInfo;
    const r = await refusal({ baseUrl: `https://127.0.0.1:${port}/api/v1` });
    expect(r).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message:
        "SolusIO: GET users: self-signed certificate: SolusIO's TLS certificate is not trusted " +
        "(DEPTH_ZERO_SELF_SIGNED_CERT): give SolusIO a certificate from a public CA, or trust its own CA with " +
        "NODE_EXTRA_CA_CERTS=/path/to/ca.pem in tokenbill's environment; as a last resort " +
        "SOLUSIO_TLS_INSECURE=true skips verification (anyone on the path could then read SOLUSIO_API_TOKEN)",
    });
  });
});

describe("a command whose SolusIO call fails", { timeout: 120_000 }, () => {
  const billingRun = (env: Record<string, string>) =>
    tokenbillCommand(["billing", "run", "--period", "2026-10"], {
      DATA_DIR: data.dir,
      LOG_LEVEL: "warn",
      SOLUSIO_URL: em.apiUrl,
      SOLUSIO_API_TOKEN: em.adminToken,
      ...env,
    });

  it("exits 6 with the advice for a 429, a 503 and a SOLUSIO_URL without /api/v1 (it was SolusIO's answer alone)", async () => {
    // A Retry-After beyond the client's backoff cap ends the call at once, without retries.
    await faults({ path: "/api/v1/users", error_rate: 1, error_status: [429, 503], retry_after: 30 });
    const limited = await billingRun({});
    expect([limited.code, limited.stdout]).toEqual([6, ""]);
    expect(limited.stderr).toMatch(
      /^error: SolusIO: GET users: 429 .*: SolusIO, or a proxy in front of it, limits how often tokenbill may call \(it asked for a wait of 30 s\)/,
    );
    expect(saysStatusOnce(adviceAfter(limited.stderr, 429), 429), limited.stderr).toBe(true);
    const failing = await billingRun({});
    expect(failing.code).toBe(6);
    expect(failing.stderr).toMatch(/^error: SolusIO: GET users: 503 .*: SolusIO is failing/);
    expect(saysStatusOnce(adviceAfter(failing.stderr, 503), 503), failing.stderr).toBe(true);
    await faults({ rules: [] });
    const root = await billingRun({ SOLUSIO_URL: em.url });
    expect(root.code).toBe(6);
    expect(root.stderr).toMatch(
      /^error: SolusIO: GET users: 404 .*: SolusIO does not know this address: check that SOLUSIO_URL is SolusIO's API/,
    );
    expect(root.stderr.split("\n")).toHaveLength(2);
  });
});
