import { describe, expect, it } from "vitest";
import { browsable, sandboxBanner } from "./sandbox-banner.ts";

// The sandbox's banner: addresses a browser opens, and no login offered where none can be used.

describe("the sandbox banner", () => {
  it("shows a server listening on every address at the loopback address", () => {
    expect(browsable("http://0.0.0.0:48083")).toBe("http://127.0.0.1:48083");
    expect(browsable("http://[::]:8080")).toBe("http://[::1]:8080");
    expect(browsable("http://192.0.2.7:8080")).toBe("http://192.0.2.7:8080");
    const banner = sandboxBanner("http://0.0.0.0:48083", "http://0.0.0.0:48084", "$K", {
      file: "data/sandbox-logins.json",
      staffEmail: "owner@sandbox.example.com",
    });
    expect(banner).toContain(
      "Staff console         http://127.0.0.1:48083/console   (log in as owner@sandbox.example.com)",
    );
    expect(banner).toContain("SolusIO emulator API  http://127.0.0.1:48084/api/v1");
    expect(banner).toContain("Demo logins           passwords in data/sandbox-logins.json");
    expect(banner).not.toContain("0.0.0.0");
  });

  it("says nobody can log in with DATA_DIR=memory://, instead of naming a login whose password is nowhere", () => {
    const banner = sandboxBanner("http://127.0.0.1:8080", "http://127.0.0.1:8090", "$K", {
      file: undefined,
      staffEmail: "owner@sandbox.example.com",
    });
    expect(banner).not.toContain("owner@sandbox.example.com");
    expect(banner).toContain("/console   (no login: DATA_DIR is memory://, which keeps no passwords)");
    expect(banner).toContain(
      "Demo logins           none kept (memory://): use a DATA_DIR to log in to the console and the portal",
    );
  });

  it("says where portal links go as this start sends them: the log without SMTP_HOST, mail with it", () => {
    const logins = { file: "data/sandbox-logins.json", staffEmail: "owner@sandbox.example.com" };
    const withoutMail = sandboxBanner("http://127.0.0.1:8080", "http://127.0.0.1:8090", "$K", logins);
    expect(withoutMail).toContain(
      "SMTP_HOST is not set: portal login and reset links are written to the log.",
    );
    const withMail = sandboxBanner("http://127.0.0.1:8080", "http://127.0.0.1:8090", "$K", logins, {
      smtpHost: "mail.example.com",
    });
    expect(withMail).toContain("Portal login and reset links are e-mailed through mail.example.com.");
    expect(withMail).not.toContain("written to the log");
  });
});
