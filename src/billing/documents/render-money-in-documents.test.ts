import { describe, expect, it } from "vitest";
import { formatMinor } from "../../domain/money.ts";
import { buildCreditNoteEmail } from "./credit-note-mail.ts";
import { creditNoteSettlementWords } from "./invoice-content.ts";
import { statementRefundWords } from "./refund-method-words.ts";
import { PROVIDER_METHODS } from "../providers/payment-provider.ts";
import type { CreditNoteSettled } from "./credit-note-document.ts";
import { creditNoteDocument, workedExampleStatement } from "./fixtures/money-in-documents.ts";
import { renderCreditNoteHtml, renderCreditNotePdf } from "./render-credit-note.ts";
import { renderStatementHtml, renderStatementPdf } from "./render-statement.ts";
import { pdfText } from "./testing/pdf-text.ts";

const squash = (text: string) => text.replace(/[ \t]+/g, " ");

describe("statement PDF", () => {
  it("shows billing-rules §7's worked example line by line with the running balance", async () => {
    const pdf = await renderStatementPdf(workedExampleStatement);
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    const text = squash(await pdfText(pdf));
    expect(text).toContain("STATEMENT");
    expect(text).toContain("Statement date 2026-12-02");
    expect(text).toContain("Ada Lovelace");
    expect(text).toContain("2026-11-01 Invoice INV-2026-000001 $10.20 $10.20");
    expect(text).toContain("2026-11-05 Payment bank_transfer BANK-1 -$4.00 $6.20");
    expect(text).toContain("2026-11-20 Payment bank_transfer BANK-2 -$10.00 -$3.80");
    expect(text).toContain("2026-12-01 Invoice INV-2026-000002 $5.14 $1.34");
    expect(text).toContain("2026-12-01 Credit applied INV-2026-000002 -$3.80 $1.34");
    expect(text).toContain("Credit available $0.00");
    expect(text).toContain("Balance due $1.34");
  });

  it("says a negative balance is in the customer's favour", async () => {
    const inCredit = {
      ...workedExampleStatement,
      entries: workedExampleStatement.entries.slice(0, 3),
      balance: -380n,
      credit: 380n,
    };
    const text = squash(await pdfText(await renderStatementPdf(inCredit)));
    expect(text).toContain("Credit available $3.80");
    expect(text).toContain("Balance in your favour $3.80");
  });

  it("shows credit held for a card refund apart from the credit available", async () => {
    const held = {
      ...workedExampleStatement,
      entries: workedExampleStatement.entries.slice(0, 3),
      balance: -380n,
      credit: 380n,
      creditHeld: 250n,
    };
    const text = squash(await pdfText(await renderStatementPdf(held)));
    expect(text).toContain("Credit available $1.30");
    expect(text).toContain("Credit on its way back to your card $2.50");
    expect(text).toContain("Balance in your favour $3.80");
    expect(renderStatementHtml(held)).toContain("Credit on its way back to your card");
    expect(squash(await pdfText(await renderStatementPdf(workedExampleStatement)))).not.toContain(
      "back to your card",
    );
  });

  it("is the same bytes for the same statement, and continues a long one on more pages", async () => {
    expect(
      (await renderStatementPdf(workedExampleStatement)).equals(
        await renderStatementPdf(workedExampleStatement),
      ),
    ).toBe(true);
    const entry = workedExampleStatement.entries[0]!;
    const long = {
      ...workedExampleStatement,
      entries: Array.from({ length: 120 }, (_, i) => ({ ...entry, reference: `INV-${i}` })),
    };
    const text = await pdfText(await renderStatementPdf(long));
    const pages = Number(/Page 1 of (\d+)/.exec(text)?.[1]);
    expect(pages).toBeGreaterThan(2);
    // Every page of the table starts with its column headings (the totals may follow on a page of their own).
    const tablePages = text.split("\f").filter((page) => /INV-\d+ /.test(page));
    expect(tablePages.length).toBeGreaterThan(2);
    for (const page of tablePages) expect(page).toMatch(/^\s*Date\s+Type\s+Reference\s+Amount\s+Balance$/m);
    expect(text.match(/^\s*Date\s+Type\s+Reference\s+Amount\s+Balance$/gm)).toHaveLength(tablePages.length);
    expect(text).toContain("INV-0 ");
    expect(text).toContain("INV-119 ");
  });

  it("renders the same content as HTML, escaped", () => {
    const html = renderStatementHtml({
      ...workedExampleStatement,
      customer: { ...workedExampleStatement.customer, name: "<b>Ada</b>" },
    });
    expect(html).toContain("&lt;b&gt;Ada&lt;/b&gt;");
    expect(html).toContain('<td class="num">-$3.80</td>');
    expect(html).toContain('<th scope="row">Balance due</th><td>$1.34</td>');
    // Its icon inline, so the browser asks for no /favicon.ico (which no route answers).
    expect(html).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]*">/);
  });
});

describe("credit note documents", () => {
  it("renders the credit note as a PDF: number, invoice, net, taxes by §4, total, reason", async () => {
    const text = squash(await pdfText(await renderCreditNotePdf(creditNoteDocument)));
    expect(text).toContain("CREDIT NOTE");
    expect(text).toContain("Credit note CN-2026-000001");
    expect(text).toContain("Invoice INV-2026-000001");
    expect(text).toContain("Credit on invoice INV-2026-000001 $1.00");
    expect(text).toContain("Net credited $1.00");
    expect(text).toContain("City Tax (6%) $0.06");
    expect(text).toContain("State Tax (2%) $0.02");
    expect(text).toContain("Total credited $1.08");
    expect(text).toContain("Reason: Server web-1 was unreachable for six hours");
    expect(text).toContain("This amount lowers what is due on invoice INV-2026-000001.");
  });

  it("says a refund that was made when the note was settled by refund, in HTML too", () => {
    const html = renderCreditNoteHtml({ ...creditNoteDocument, settlement: "refund", settled: refundedAll });
    expect(html).toContain("<h1>Credit note</h1>");
    expect(html).toContain("This amount has been refunded to you.");
    expect(html).toContain('<th scope="row">Total credited</th><td>$1.08</td>');
    expect(html).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]*">/);
  });

  it("writes a currency symbol the PDF font lacks as its code, and one it has as itself", async () => {
    const azn = { ...creditNoteDocument.currency, code: "AZN", displayPrefix: "₼" };
    const text = squash(await pdfText(await renderCreditNotePdf({ ...creditNoteDocument, currency: azn })));
    expect(text).toContain("Total credited AZN 1.08");
    const inr = { ...creditNoteDocument.currency, code: "INR", displayPrefix: "₹" };
    const rupees = squash(await pdfText(await renderCreditNotePdf({ ...creditNoteDocument, currency: inr })));
    expect(rupees).toContain("Total credited ₹1.08");
  });

  it("mails the credit note with its PDF, the reason kept out of the subject's header lines", () => {
    const mail = buildCreditNoteEmail(
      { ...creditNoteDocument, invoiceNumber: "INV-2026-000001\r\nBcc: x@evil.test" },
      Buffer.from("%PDF-"),
      "Billing <no-reply@example-hosting.test>",
    );
    expect(mail.subject).toBe(
      "Credit note CN-2026-000001 from Example Hosting Ltd: $1.08 on invoice INV-2026-000001 Bcc: x@evil.test",
    );
    expect(mail.to).toEqual({ name: "Ada Lovelace", address: "ada@example.com" });
    expect(mail.attachments[0].filename).toBe("CN-2026-000001.pdf");
    expect(mail.text).toContain("credit note CN-2026-000001 for $1.08");
  });

  it("names a currency written without prefix or suffix by its ISO code in the credit note's subject", () => {
    const bare = { ...creditNoteDocument.currency, code: "SEK", displayPrefix: "", displaySuffix: "" };
    const mail = buildCreditNoteEmail(
      { ...creditNoteDocument, currency: bare },
      Buffer.from("%PDF-"),
      "b@x.test",
    );
    expect(mail.subject).toBe(
      "Credit note CN-2026-000001 from Example Hosting Ltd: 1.08 SEK on invoice INV-2026-000001",
    );
  });
});

/** A note's settlement parts: nothing taken off, refunded, pending or failed unless given. */
const settledAs = (parts: Partial<CreditNoteSettled>): CreditNoteSettled => ({
  takenOff: 0n,
  refunded: 0n,
  refundPending: 0n,
  refundFailed: 0n,
  refundFailedPaidInvoices: 0n,
  refundedByHand: [],
  ...parts,
});
const refundedAll = settledAs({ refunded: 108n });

// Until 2026-12-06 a credit note settled as a refund read "What you had paid of this amount is refunded to you"
// in its PDF, HTML and mail, whatever became of the refund. Each way it can stand has its own words, with the
// figures when the note went more than one way; the mail says what the PDF says.
describe("credit note words: where its amount went when the document is made", () => {
  const refundNote = { ...creditNoteDocument, settlement: "refund" as const };
  const words = (settled: CreditNoteSettled) => {
    const doc = { ...refundNote, settled };
    const mail = buildCreditNoteEmail(doc, Buffer.from("%PDF-"), "b@x.test");
    return { html: renderCreditNoteHtml(doc), mail: mail.text };
  };
  const pendingWords =
    "is being refunded to the card you paid with; until the card's refund is made it is held on your account and pays no invoice, and if it cannot be made it is kept as credit that pays your next invoices.";

  it.each([
    ["a card refund pending", settledAs({ refundPending: 108n }), `This amount ${pendingWords}`],
    [
      "a card refund that failed",
      settledAs({ refundFailed: 108n }),
      "This amount could not be refunded to your card, so it is kept as credit on your account and pays your next invoices.",
    ],
    [
      "a card refund the bank sent back, which paid open invoices",
      settledAs({ refundFailed: 108n, refundFailedPaidInvoices: 108n }),
      "This amount could not be refunded to your card, so it paid your open invoices.",
    ],
    [
      "a payment no refund could return (paid by credit)",
      settledAs({}),
      "This amount is kept as credit on your account and pays your next invoices.",
    ],
    ["a card refund made", refundedAll, "This amount has been refunded to you."],
    // Until 2026-12-06 a refund staff recorded by hand read as a card's: "has been refunded to you".
    [
      "a refund recorded by hand, by bank transfer",
      settledAs({ refunded: 108n, refundedByHand: [{ method: "bank_transfer", amount: 108n }] }),
      "This amount has been paid back to you by bank transfer.",
    ],
    [
      "a refund recorded by hand, in cash",
      settledAs({ refunded: 108n, refundedByHand: [{ method: "cash", amount: 108n }] }),
      "This amount has been paid back to you in cash.",
    ],
    [
      "a refund recorded by hand with no way named (manual)",
      settledAs({ refunded: 108n, refundedByHand: [{ method: "manual", amount: 108n }] }),
      "This amount has been paid back to you directly, as recorded by our staff.",
    ],
  ])("%s", (_, settled, sentence) => {
    const { html, mail } = words(settled);
    expect(html).toContain(sentence.replaceAll("'", "&#39;"));
    expect(mail).toContain(sentence);
    expect(`${html}${mail}`).not.toContain("is refunded to you");
  });

  it("names each part's figure when the note went more than one way", () => {
    const { html, mail } = words(
      settledAs({ takenOff: 8n, refunded: 30n, refundPending: 50n, refundFailed: 20n }),
    );
    expect(html).toContain(
      `$0.08 of it lowers what is due on invoice INV-2026-000001. $0.30 of it has been refunded to you. $0.50 of it ${pendingWords.replaceAll("'", "&#39;")} $0.20 of it could not be refunded to your card, so it is kept as credit on your account and pays your next invoices.`,
    );
    expect(mail).toContain("$0.50 of it is being refunded to the card you paid with");
  });

  it("tells a card's refund from one recorded by hand, and each way money went back by hand apart", () => {
    const { html, mail } = words(
      settledAs({
        refunded: 100n,
        refundedByHand: [
          { method: "bank_transfer", amount: 30n },
          { method: "cheque", amount: 20n },
        ],
      }),
    );
    const sentence =
      "$0.50 of it has been refunded to you. $0.30 of it has been paid back to you by bank transfer. " +
      "$0.20 of it has been paid back to you by cheque. $0.08 of it is kept as credit on your account and pays your next invoices.";
    expect(html).toContain(sentence);
    expect(mail).toContain(sentence);
  });

  it("says a settled-as-credit note's paid part is kept as credit, beside what it took off", () => {
    const doc = { ...creditNoteDocument, settled: settledAs({ takenOff: 58n }) };
    expect(renderCreditNoteHtml(doc)).toContain(
      "$0.58 of it lowers what is due on invoice INV-2026-000001. $0.50 of it is kept as credit on your account and pays your next invoices.",
    );
  });
});

// Until 2026-12-05 the credit note's and the statement's totals had a fixed 100-point figure column and their
// tables broke figures too: "$4,910,400,000,000" on one line and ".81" on the next, drawn over the row below.
// A rupiah customer's yearly statement reaches such widths; the invoice PDF already kept its figures whole.
describe("figures in the credit note and statement PDFs", () => {
  const big = 446_400_000_000_074n;
  /** Every line of the text must hold nothing but a piece of a figure on its own. */
  const brokenFigures = (text: string) => text.split("\n").filter((r) => /^\s*[.,]?\d{1,3}\s*$/.test(r));

  it("keeps a credit note's huge net, tax and total whole, each row below the one before", async () => {
    const text = await pdfText(
      await renderCreditNotePdf({
        ...creditNoteDocument,
        lines: [{ description: "Credit", amount: big }],
        net: big,
        taxes: [{ label: "City Tax", rate: "6", amount: big / 10n }],
        total: big + big / 10n,
      }),
    );
    const rows = text.split("\n");
    const at = (pattern: RegExp) => rows.findIndex((r) => pattern.test(r));
    const net = at(/Net credited\s+\$4,464,000,000,000\.74$/);
    const tax = at(/City Tax \(6%\)\s+\$446,400,000,000\.07$/);
    const total = at(/Total credited\s+\$4,910,400,000,000\.81$/);
    expect([net, tax, total].every((i) => i >= 0)).toBe(true);
    expect(net < tax && tax < total).toBe(true);
    expect(brokenFigures(text)).toEqual([]);
  });

  it("keeps a statement's huge amounts and balances whole, in its table and its totals", async () => {
    const text = await pdfText(
      await renderStatementPdf({
        ...workedExampleStatement,
        entries: [
          { date: "2026-11-01", kind: "invoice", reference: "INV-2026-000001", amount: big, balance: big },
          {
            date: "2026-11-05",
            kind: "payment",
            reference: "bank_transfer BANK-1",
            amount: -big,
            balance: 0n,
          },
        ],
        balance: big,
        credit: big,
      }),
    );
    expect(text).toMatch(/INV-2026-000001\s+\$4,464,000,000,000\.74\s+\$4,464,000,000,000\.74$/m);
    expect(text).toMatch(/BANK-1\s+-\$4,464,000,000,000\.74\s+\$0\.00$/m);
    expect(text).toMatch(/Credit available\s+\$4,464,000,000,000\.74$/m);
    expect(text).toMatch(/Balance due\s+\$4,464,000,000,000\.74$/m);
    expect(brokenFigures(text)).toEqual([]);
  });
});

// The invoice's documents and the console's invoice page name each credit note's parts in short words.
describe("credit note settlement words on the invoice", () => {
  const money = (minor: bigint) => formatMinor(minor, creditNoteDocument.currency);
  const note = { number: "CN-2026-000001", total: 250n, takenOff: 0n, refunded: 250n };

  it("keeps 'refunded' for a card's refund and says how money recorded by hand went back", () => {
    expect(creditNoteSettlementWords(note, money)).toBe("refunded");
    expect(
      creditNoteSettlementWords(
        { ...note, refundedByHand: [{ method: "bank_transfer", amount: 250n }] },
        money,
      ),
    ).toBe("paid back by bank transfer");
    expect(
      creditNoteSettlementWords(
        {
          ...note,
          refundedByHand: [
            { method: "manual", amount: 100n },
            { method: "cash", amount: 50n },
          ],
        },
        money,
      ),
    ).toBe("$1.00 refunded, $1.00 paid back directly, $0.50 paid back in cash");
  });

  // The statement names a card's refund, and one the bank sent back, as the invoice names the note's parts:
  // both read the words from refund-method-words.ts, so a change of wording cannot make them disagree.
  it("name a card's refund and a failed one in the statement's words", () => {
    for (const method of PROVIDER_METHODS) {
      expect(creditNoteSettlementWords(note, money)).toBe(statementRefundWords(method, false));
      const failed = { ...note, refunded: 0n, refundFailed: 250n };
      expect(creditNoteSettlementWords(failed, money)).toBe(
        `${statementRefundWords(method, true)}, kept as credit`,
      );
    }
  });
});
