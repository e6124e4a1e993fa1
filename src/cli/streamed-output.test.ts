import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { jsonText } from "../kernel/json.ts";
import { renderTable } from "./output.ts";
import { jsonListWriter, type OutputSink, streamSink, tableWriter } from "./streamed-output.ts";

function collecting(): OutputSink & { text: string } {
  return {
    closed: false,
    text: "",
    async write(text) {
      this.text += text;
    },
  };
}

describe("a list written in pieces", () => {
  it("as JSON is jsonText's document byte for byte, rows or none", async () => {
    const rows = [{ id: "a", amount: 12n, nested: { x: [1, 2] } }, { id: "b\n" }, { id: "c" }];
    for (const pages of [[rows.slice(0, 2), [], rows.slice(2)], [[]]]) {
      const sink = collecting();
      const json = jsonListWriter(sink);
      for (const page of pages) await json.rows(page);
      const data = pages.flat();
      await json.end({ count: data.length, more: false });
      expect(sink.text).toBe(`${jsonText({ data, meta: { count: data.length, more: false } }, 2)}\n`);
    }
  });

  it("as a table is renderTable's while no later page is wider", async () => {
    const sink = collecting();
    const table = tableWriter(sink, ["id", "amount"], [false, true]);
    await table.rows([["aaa", "10.00"]]);
    await table.rows([["b", "1.00"]]);
    await table.end();
    const rows = [
      ["aaa", "10.00"],
      ["b", "1.00"],
    ];
    expect(sink.text).toBe(`${renderTable(["id", "amount"], rows, [false, true])}\n`);
  });

  it("prints the header again, at the new widths, before a page with a wider cell", async () => {
    const sink = collecting();
    const table = tableWriter(sink, ["id", "amount"], [false, true]);
    await table.rows([["a", "1.00"]]);
    await table.rows([["bbbb", "1.00"]]);
    expect(sink.text).toBe(
      ["id  amount", "--  ------", "a     1.00", "id    amount", "----  ------", "bbbb    1.00", ""].join(
        "\n",
      ),
    );
  });

  it("as a table of no rows is its header", async () => {
    const sink = collecting();
    const table = tableWriter(sink, ["id"]);
    await table.end();
    expect(sink.text).toBe("id\n--\n");
  });

  it("waits for a reader that fell behind, and ends the wait when the stream fails", async () => {
    const stream = new PassThrough({ highWaterMark: 4 });
    const sink = streamSink(stream);
    let taken = false;
    const written = sink.write("0123456789").then(() => {
      taken = true;
    });
    await Promise.resolve();
    expect(taken).toBe(false);
    stream.read();
    await written;
    expect(taken).toBe(true);
    const stuck = sink.write("0123456789");
    stream.destroy(Object.assign(new Error("EPIPE"), { code: "EPIPE" }));
    await stuck;
    expect(sink.closed).toBe(true);
  });
});
