import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../config.ts";
import { smtpSettingsOf } from "../../delivery/delivery-settings.ts";
import { startSmtpSink } from "../../delivery/testing/smtp-sink.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { buildInvoiceEmail, pdfFilename, sendMail } from "./invoice-mail.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";

const FROM = "Example Hosting Billing <no-reply@example-hosting.test>";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A real SMTP server on loopback (the network edge is the one place a stand-in belongs). */
async function startSmtpServer(credentials?: { user: string; password: string }) {
  const sink = await startSmtpSink(credentials);
  servers.push(sink);
  return sink;
}

describe("buildInvoiceEmail", () => {
  it("addresses the customer and attaches the PDF under the invoice number", () => {
    const pdf = Buffer.from("%PDF-1.3 test");
    const mail = buildInvoiceEmail(october2026Invoice, pdf, FROM);
    expect(mail.to).toEqual({ name: "Acme Web Studio", address: "accounts@acme.test" });
    expect(mail.from).toBe(FROM);
    expect(mail.replyTo).toBe("billing@example-hosting.test");
    expect(mail.subject).toBe("Invoice INV-2026-000001 from Example Hosting Ltd: $10.20 due 2026-11-15");
    expect(mail.text).toContain(
      "Please find attached invoice INV-2026-000001 for 2026-10: $10.20, due 2026-11-15.",
    );
    expect(mail.attachments).toEqual([
      { filename: "INV-2026-000001.pdf", content: pdf, contentType: "application/pdf" },
    ]);
  });

  it("names a currency written without prefix or suffix by its ISO code in the subject", () => {
    const bare = { ...october2026Invoice.currency, code: "CHF", displayPrefix: "", displaySuffix: "" };
    const mail = buildInvoiceEmail({ ...october2026Invoice, currency: bare }, Buffer.alloc(0), FROM);
    expect(mail.subject).toBe("Invoice INV-2026-000001 from Example Hosting Ltd: 10.20 CHF due 2026-11-15");
    // Whitespace alone is no sign either.
    const blank = { ...bare, displaySuffix: " " };
    expect(buildInvoiceEmail({ ...october2026Invoice, currency: blank }, Buffer.alloc(0), FROM).subject).toBe(
      "Invoice INV-2026-000001 from Example Hosting Ltd: 10.20 CHF due 2026-11-15",
    );
  });

  it("escapes the HTML body and keeps the subject on one line", () => {
    const doc = {
      ...october2026Invoice,
      seller: { ...october2026Invoice.seller, name: "Evil\r\nBcc: victim@example.test" },
      customer: { ...october2026Invoice.customer, name: "<b>Bold</b>" },
    };
    const mail = buildInvoiceEmail(doc, Buffer.alloc(0), FROM);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).toContain("Dear &lt;b&gt;Bold&lt;/b&gt;,");
  });

  it("sends a receipt for a paid invoice and refuses drafts and void invoices", () => {
    const paid = { ...october2026Invoice, status: "paid" as const };
    expect(buildInvoiceEmail(paid, Buffer.alloc(0), FROM).subject).toBe(
      "Receipt for invoice INV-2026-000001 from Example Hosting Ltd",
    );
    for (const status of ["draft", "void"] as const) {
      expect(() => buildInvoiceEmail({ ...october2026Invoice, status }, Buffer.alloc(0), FROM)).toThrow(
        ServiceError,
      );
    }
  });

  it("asks a partly paid invoice for what is left of it (billing-rules §7: $10.20 less $4.00 paid)", () => {
    const partly = { ...october2026Invoice, status: "partially_paid" as const, amountDue: 620n };
    expect(buildInvoiceEmail(partly, Buffer.alloc(0), FROM).subject).toBe(
      "Invoice INV-2026-000001 from Example Hosting Ltd: $6.20 due 2026-11-15",
    );
  });

  it("makes a safe file name of any invoice number", () => {
    expect(pdfFilename("INV-2026-000001")).toBe("INV-2026-000001.pdf");
    expect(pdfFilename("A/B\\..\r\n")).toBe("A_B_..__.pdf");
    expect(pdfFilename("")).toBe("invoice.pdf");
  });
});

describe("sendMail", () => {
  it("delivers the invoice with its PDF to an SMTP server", async () => {
    const smtp = await startSmtpServer();
    const pdf = await renderInvoicePdf(october2026Invoice);
    const message = buildInvoiceEmail(october2026Invoice, pdf, FROM);

    const { messageId } = await sendMail({ host: "127.0.0.1", port: smtp.port, secure: false }, message);

    expect(messageId).toMatch(/^<.+@.+>$/);
    expect(smtp.received).toHaveLength(1);
    const [arrived] = smtp.received;
    expect(arrived?.from).toBe("no-reply@example-hosting.test");
    expect(arrived?.to).toEqual(["accounts@acme.test"]);
    const parsed = await simpleParser(arrived!.raw);
    expect(parsed.messageId).toBe(messageId);
    expect(parsed.subject).toBe("Invoice INV-2026-000001 from Example Hosting Ltd: $10.20 due 2026-11-15");
    expect(parsed.text).toContain("$10.20, due 2026-11-15");
    expect(parsed.html).toContain("<p>Dear Acme Web Studio,</p>");
    const [attachment, ...others] = parsed.attachments;
    expect(others).toHaveLength(0);
    expect(attachment?.filename).toBe("INV-2026-000001.pdf");
    expect(attachment?.contentType).toBe("application/pdf");
    expect(attachment?.content.equals(pdf)).toBe(true);
    expect(attachment?.content.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });

  it("authenticates, and never puts the password in an error", async () => {
    const password = "s3cret-Pa55word";
    const smtp = await startSmtpServer({ user: "billing", password });
    const message = buildInvoiceEmail(october2026Invoice, Buffer.from("%PDF-"), FROM);
    const settings = { host: "127.0.0.1", port: smtp.port, secure: false, user: "billing" };

    await sendMail({ ...settings, password }, message);
    expect(smtp.received).toHaveLength(1);

    const failure = await sendMail({ ...settings, password: `${password}-wrong` }, message).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as ServiceError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect((failure as ServiceError).message).toMatch(/SMTP delivery via 127\.0\.0\.1:\d+ failed: .*535/);
    expect(JSON.stringify(failure) + String(failure)).not.toContain(password);
    expect(smtp.received).toHaveLength(1);
  });

  it("with SMTP_REQUIRE_TLS sends nothing to a server without STARTTLS; without it the same server gets the mail", async () => {
    const password = "never-in-the-clear";
    const smtp = await startSmtpServer({ user: "billing", password }); // offers AUTH, never STARTTLS
    const message = buildInvoiceEmail(october2026Invoice, Buffer.from("%PDF-"), FROM);
    const settingsWith = (requireTls: string) =>
      smtpSettingsOf(
        parseConfig({
          SMTP_HOST: "127.0.0.1",
          SMTP_PORT: String(smtp.port),
          SMTP_USER: "billing",
          SMTP_PASSWORD: password,
          SMTP_REQUIRE_TLS: requireTls,
        }),
      )!;

    const failure = await sendMail(settingsWith("true"), message).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as ServiceError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect((failure as ServiceError).message).toMatch(/STARTTLS/);
    expect(smtp.received).toHaveLength(0);

    await sendMail(settingsWith("false"), message);
    expect(smtp.received).toHaveLength(1);
  });

  it("marks a refused recipient (550) as not worth retrying, and a busy server (451) as worth it", async () => {
    for (const [responseCode, retryable] of [
      [550, false],
      [451, true],
    ] as const) {
      const server = new SMTPServer({
        disabledCommands: ["AUTH", "STARTTLS"],
        authOptional: true,
        logger: false,
        onRcptTo(_address, _session, callback) {
          callback(Object.assign(new Error("no such mailbox"), { responseCode }));
        },
      });
      servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (
        (server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo
      ).port;
      const message = buildInvoiceEmail(october2026Invoice, Buffer.from("%PDF-"), FROM);
      await expect(sendMail({ host: "127.0.0.1", port, secure: false }, message)).rejects.toMatchObject({
        code: "UPSTREAM_UNAVAILABLE",
        retryable,
      });
    }
  });

  it("reports an unreachable server as UPSTREAM_UNAVAILABLE", async () => {
    const smtp = await startSmtpServer();
    await servers.pop()?.close();
    const message = buildInvoiceEmail(october2026Invoice, Buffer.from("%PDF-"), FROM);
    await expect(
      sendMail({ host: "127.0.0.1", port: smtp.port, secure: false }, message),
    ).rejects.toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
    });
  });
});
