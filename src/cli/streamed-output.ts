import { jsonText } from "../kernel/json.ts";

// A list printed while it is read, a page at a time, so that the command holds one page, never the whole list:
// `payments list` of a large book held every payment (and, for the table, every row's text) until the walk
// ended. The JSON stays one document, written in pieces; the table is aligned page by page.

/** Where a command's output goes, a piece at a time. */
export interface OutputSink {
  /** Resolves once the text is taken: at once, or when a reader that fell behind has caught up. */
  write(text: string): Promise<void>;
  /** The reader went away (`| head -1`) or the output failed: nothing more written is read. */
  readonly closed: boolean;
}

/**
 * `stream` (stdout) as a sink that waits for a slow reader instead of queueing the list in memory. A stream
 * that failed (closed-output.ts says how) is closed: its waits end and the walk stops.
 */
export function streamSink(
  stream: NodeJS.WritableStream & { destroyed?: boolean } = process.stdout,
): OutputSink {
  let failed = false;
  stream.once("error", () => {
    failed = true;
  });
  return {
    get closed() {
      return failed || stream.destroyed === true;
    },
    write(text) {
      if (failed || stream.destroyed) return Promise.resolve();
      if (stream.write(text)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          stream.off("drain", done);
          stream.off("close", done);
          stream.off("error", done);
          resolve();
        };
        stream.on("drain", done);
        stream.on("close", done);
        stream.on("error", done);
      });
    },
  };
}

/** Each line of `text` but the first indented by `pad`: a nested value of the pretty-printed document. */
const indentAfterFirst = (text: string, pad: string) => text.replaceAll("\n", `\n${pad}`);

/**
 * `{"data": [rows…], "meta": {…}}` written as the rows come: the array opened with the first rows, each row
 * as it is given, closed with the meta only known at the end. The text is jsonText({data, meta}, 2)'s, byte for
 * byte: one document a JSON parser reads as before.
 */
export function jsonListWriter(sink: OutputSink) {
  let count = 0;
  return {
    async rows(rows: readonly unknown[]): Promise<void> {
      if (rows.length === 0) return;
      const items = rows.map((row) => `\n    ${indentAfterFirst(jsonText(row, 2), "    ")}`).join(",");
      const text = `${count === 0 ? '{\n  "data": [' : ","}${items}`;
      count += rows.length;
      await sink.write(text);
    },
    async end(meta: Record<string, unknown>): Promise<void> {
      const data = count === 0 ? '{\n  "data": []' : "\n  ]";
      await sink.write(`${data},\n  "meta": ${indentAfterFirst(jsonText(meta, 2), "  ")}\n}\n`);
    },
  };
}

/**
 * A table written a block of rows at a time, aligned as renderTable aligns one: the header once, each column as
 * wide as its widest cell so far. A later block with a wider cell widens its column from there on and prints
 * the header again at the new widths, so that every row stands under a header it lines up with. Only the
 * widths are kept, never the rows.
 */
export function tableWriter(sink: OutputSink, headers: readonly string[], rightAligned: boolean[] = []) {
  const widths = headers.map((h) => h.length);
  let headed = false;
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const header = () => `${line(headers)}\n${line(widths.map((w) => "-".repeat(w)))}\n`;
  return {
    async rows(rows: readonly (readonly string[])[]): Promise<void> {
      if (rows.length === 0) return;
      let widened = false;
      for (const row of rows) {
        for (let i = 0; i < widths.length; i++) {
          const width = (row[i] ?? "").length;
          if (width > widths[i]!) {
            widths[i] = width;
            widened = true;
          }
        }
      }
      const head = !headed || widened ? header() : "";
      headed = true;
      await sink.write(`${head}${rows.map((row) => `${line(row)}\n`).join("")}`);
    },
    /** The header alone when no row came: an empty list is still a table. */
    async end(): Promise<void> {
      if (!headed) await sink.write(header());
      headed = true;
    },
  };
}
