import { simpleParser } from "mailparser";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PageClient } from "../../../test/helpers/page-client.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { runnerFor } from "../../app/runner.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { startSmtpSink } from "../../delivery/testing/smtp-sink.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { createCustomer } from "../customers/customers.ts";
import { portalMailer, type PortalMailer, type PortalMessage } from "./portal-mail.ts";
import { PORTAL_LINK_EMAIL_JOB, portalLinkEmailHandler } from "./portal-link-mail.ts";

// The portal's login and reset links go out through the job queue: the request answers before any mail is
// sent, the same for a known and an unknown address, and the job mints the token and mails the link, with
// retries. Until 2026-12-04 the request sent the mail itself, so its answer time (SMTP: ~0.5 s against
// ~0.01 s) told whether an address was a customer's.

const PUBLIC_URL = "http://portal.test";
let handle: DatabaseHandle;
let server: TestServer;
let ctx: ServiceContext;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { TOKENBILL_PUBLIC_URL: PUBLIC_URL });
  ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent", TOKENBILL_PUBLIC_URL: PUBLIC_URL }),
    pino({ level: "silent" }),
    actors.system("jobs"),
  );
  await createCustomer({
    ctx: { ...ctx, actor: actors.cli() },
    input: { email: "ada@example.com", name: "Ada", country: "DE", currency: "EUR" } as never,
  });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});
beforeEach(async () => {
  await handle.db.deleteFrom("job").where("kind", "=", PORTAL_LINK_EMAIL_JOB).execute();
});

/** The outbox's runner with this mailer, as serve runs it (never started: the test drains it). */
const outboxWith = (portalMailer: PortalMailer) => runnerFor(ctx, "outbox", { portalMailer });

const linkJobs = () =>
  handle.db
    .selectFrom("job")
    .select(["id", "payload", "status", "attempts", "last_error"])
    .where("kind", "=", PORTAL_LINK_EMAIL_JOB)
    .orderBy("id")
    .execute();

const tokenIn = (text: string) => decodeURIComponent(/[?&]token=([^\s&]+)/.exec(text)![1]!);

/** Logs in with a magic link's token: the status of the button's POST. */
/** Opens a mailed login link and presses its button: 303 when it logs in; 401 when the link is spent or retired,
 * which its page says as it opens (it then has no button to press). */
const spendMagicLink = async (token: string) => {
  const page = await fetch(`${server.url}/portal/login/link/open?token=${token}`);
  if (page.status === 401) return 401;
  return (
    await new PageClient(server.url).submit(
      `/portal/login/link/open?token=${token}`,
      "/portal/login/link/open",
      { token },
    )
  ).status;
};

describe("portal links go out as jobs", () => {
  it("answers a known and an unknown address without waiting for a slow mailer", async () => {
    // A mailer that never finishes until the test lets it: a request that sent mail would wait on it.
    let called!: () => void;
    const mailerCalled = new Promise<"the mailer was called first">((resolve) => {
      called = () => resolve("the mailer was called first");
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sent: PortalMessage[] = [];
    const slow: PortalMailer = {
      send: async (message) => {
        called();
        await gate;
        sent.push(message);
      },
    };
    const browser = new PageClient(server.url);
    const ask = async (path: string, email: string) => {
      const answer = await Promise.race([browser.submit(path, path, { email }), mailerCalled]);
      if (typeof answer === "string") throw new Error(answer);
      return answer;
    };
    const known = await ask("/portal/login/link", "ada@example.com");
    const unknown = await ask("/portal/login/link", "nobody@example.com");
    const reset = await ask("/portal/password-reset", "ADA@example.com ");
    for (const answer of [known, unknown, reset]) {
      expect(answer.status).toBe(200);
      expect(answer.text).toContain("If this address belongs to an account");
    }
    // Only jobs were written, one per request, the address as the login reads it and nothing secret.
    expect((await linkJobs()).map((j) => [j.status, j.payload])).toEqual([
      ["pending", { email: "ada@example.com", purpose: "magic_link" }],
      ["pending", { email: "nobody@example.com", purpose: "magic_link" }],
      ["pending", { email: "ada@example.com", purpose: "password_reset" }],
    ]);
    // No token exists before its job runs: the job mints it.
    expect(await handle.db.selectFrom("portal_token").select("token_hash").execute()).toEqual([]);

    const outbox = outboxWith(slow);
    const draining = outbox.drain();
    expect(await mailerCalled).toBe("the mailer was called first");
    release();
    await draining;
    await outbox.stop();
    expect(sent.map((m) => [m.to, m.subject])).toEqual([
      ["ada@example.com", "Your login link"],
      ["ada@example.com", "Reset your password"],
    ]);
    expect(sent[0]!.text).toContain(`${PUBLIC_URL}/portal/login/link/open?token=`);
    expect(sent[1]!.text).toContain(`${PUBLIC_URL}/portal/password-reset/new?token=`);
    expect((await linkJobs()).map((j) => j.status)).toEqual(["done", "done", "done"]);
    expect(await spendMagicLink(tokenIn(sent[0]!.text))).toBe(303);
  });

  it("delivers the link over SMTP from the job", async () => {
    const smtp = await startSmtpSink();
    try {
      const mailer = portalMailer(
        parseConfig({ LOG_LEVEL: "silent", SMTP_HOST: "127.0.0.1", SMTP_PORT: smtp.port }),
        pino({ level: "silent" }),
        { sandbox: false },
      );
      await new PageClient(server.url).submit("/portal/login/link", "/portal/login/link", {
        email: "ada@example.com",
      });
      expect(smtp.received).toEqual([]);
      const outbox = outboxWith(mailer);
      await outbox.drain();
      await outbox.stop();
      expect(smtp.received.map((m) => m.to)).toEqual([["ada@example.com"]]);
      const message = await simpleParser(smtp.received[0]!.raw);
      expect(message.subject).toBe("Your login link");
      expect(await spendMagicLink(tokenIn(message.text ?? ""))).toBe(303);
    } finally {
      await smtp.close();
    }
  });

  it("retries a failed send with a new token and keeps no token in the job", async () => {
    const attempts: PortalMessage[] = [];
    const flaky: PortalMailer = {
      send: async (message) => {
        attempts.push(message);
        if (attempts.length === 1) throw new Error("SMTP delivery via mail.test:25 failed: 421 busy");
      },
    };
    await new PageClient(server.url).submit("/portal/login/link", "/portal/login/link", {
      email: "ada@example.com",
    });
    const outbox = outboxWith(flaky);
    await outbox.runOnce();
    const [failed] = await linkJobs();
    expect(failed).toMatchObject({ status: "pending", attempts: 1 });
    const firstToken = tokenIn(attempts[0]!.text);
    expect(JSON.stringify([failed!.payload, failed!.last_error])).not.toContain(firstToken);
    expect(failed!.last_error).toContain("421 busy");
    // The backoff (15 s) is over.
    await handle.db
      .updateTable("job")
      .set({ run_after: new Date(0) })
      .where("id", "=", failed!.id)
      .execute();
    await outbox.drain();
    await outbox.stop();
    expect((await linkJobs()).map((j) => j.status)).toEqual(["done"]);
    expect(attempts).toHaveLength(2);
    // The undelivered link of the failed attempt was retired by the one that went out.
    expect(await spendMagicLink(firstToken)).toBe(401);
    expect(await spendMagicLink(tokenIn(attempts[1]!.text))).toBe(303);
  });
});

describe("a portal link job the runner has given up on", () => {
  it("sends no mail (the stop's grace ended or its time ran out: the next attempt sends a fresh link)", async () => {
    const sent: PortalMessage[] = [];
    const givenUp = new AbortController();
    givenUp.abort();
    const ended = await portalLinkEmailHandler(ctx, { send: async (m) => void sent.push(m) })(
      {
        id: 1n,
        kind: PORTAL_LINK_EMAIL_JOB,
        orderingKey: null,
        payload: { email: "ada@example.com", purpose: "magic_link" },
        attempts: 1,
      },
      { signal: givenUp.signal },
    ).then(
      () => "sent",
      () => "stopped",
    );
    expect(ended).toBe("stopped");
    expect(sent).toEqual([]);
  });
});
