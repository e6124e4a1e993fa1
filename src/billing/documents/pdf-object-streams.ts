import { deflateSync } from "node:zlib";

// A tagged PDF's structure tree is one small object per element: a statement of 1,000 entries has 6,000 of
// them (a TR a row, a TD a cell), each written by pdfkit as uncompressed text with a line of the
// cross-reference table, which made it 684 KB instead of 79 KB untagged. pdfkit has no option to pack
// objects into compressed object streams (PDF 1.5, ISO 32000-1 §7.5.7), so packObjects rewrites its finished
// file that way: every object that is not a stream goes, byte for byte, into a deflated object stream, and
// the cross-reference table becomes a deflated cross-reference stream (§7.5.8). Streams (page contents,
// fonts) are copied as they are, so no page changes: only where objects are stored does.

/** Objects to an object stream: enough for deflate to find the repeats, few enough to read one quickly. */
const OBJECTS_PER_STREAM = 256;

const latin1 = (bytes: Buffer) => bytes.toString("latin1");

interface Parsed {
  header: Buffer;
  /** Each object's bytes by number (1…size-1): a stream's whole "N 0 obj … endobj\n", else its body. */
  objects: { id: number; bytes: Buffer; stream: boolean }[];
  size: number;
  root: string;
  info: string;
  id: string;
}

/** pdfkit's file as its cross-reference table lists it. Throws on anything pdfkit does not write. */
function parse(pdf: Buffer): Parsed {
  const tail = latin1(pdf.subarray(Math.max(0, pdf.length - 64)));
  const start = /startxref\n(\d+)\n%%EOF\n?$/.exec(tail);
  if (start === null) throw new Error("packObjects: no startxref at the end of the PDF");
  const xref = Number(start[1]);
  const table = latin1(pdf.subarray(xref));
  const head = /^xref\n0 (\d+)\n/.exec(table);
  if (head === null) throw new Error("packObjects: no cross-reference table at startxref");
  const size = Number(head[1]);
  const entries = table.slice(head[0].length, head[0].length + 20 * size);
  const trailer = table.slice(head[0].length + 20 * size);
  const ref = (key: string) => new RegExp(`/${key} (\\d+ 0 R)`).exec(trailer)?.[1];
  const root = ref("Root");
  const info = ref("Info");
  const id = /\/ID (\[<[0-9a-f]+> <[0-9a-f]+>\])/.exec(trailer)?.[1];
  if (root === undefined || info === undefined || id === undefined)
    throw new Error("packObjects: the trailer lacks Root, Info or ID");

  const offsets: { id: number; offset: number }[] = [];
  for (let i = 1; i < size; i++) {
    const entry = /^(\d{10}) 00000 n /.exec(entries.slice(20 * i, 20 * i + 20));
    if (entry === null) throw new Error(`packObjects: object ${i} is not in use`);
    offsets.push({ id: i, offset: Number(entry[1]) });
  }
  const byOffset = [...offsets].sort((a, b) => a.offset - b.offset);
  const objects = byOffset.map(({ id: number, offset }, i) => {
    const end = byOffset[i + 1]?.offset ?? xref;
    const bytes = pdf.subarray(offset, end);
    const opening = `${number} 0 obj\n`;
    if (latin1(bytes.subarray(0, opening.length)) !== opening || !latin1(bytes).endsWith("\nendobj\n"))
      throw new Error(`packObjects: object ${number} is not where the table says`);
    if (latin1(bytes.subarray(bytes.length - 18)) === "\nendstream\nendobj\n")
      return { id: number, bytes, stream: true };
    return { id: number, bytes: bytes.subarray(opening.length, bytes.length - 8), stream: false };
  });
  const header = pdf.subarray(0, byOffset[0]?.offset ?? xref);
  return { header, objects, size, root, info, id };
}

/** The same document with its non-stream objects in object streams and a cross-reference stream. */
export function packObjects(pdf: Buffer): Buffer {
  const { header, objects, size, root, info, id } = parse(pdf);
  if (!latin1(header).startsWith("%PDF-1.5\n")) throw new Error("packObjects: needs a PDF 1.5 header");
  const out: Buffer[] = [header];
  let offset = header.length;
  const emit = (chunk: Buffer | string) => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
    out.push(bytes);
    offset += bytes.length;
  };
  // Where each object is: [1, offset] written in the file, [2, stream number, index] in an object stream.
  const where = new Map<number, [1, number] | [2, number, number]>();
  for (const object of objects.filter((o) => o.stream)) {
    where.set(object.id, [1, offset]);
    emit(object.bytes);
  }
  const plain = objects.filter((o) => !o.stream);
  let next = size;
  for (let at = 0; at < plain.length; at += OBJECTS_PER_STREAM) {
    const group = plain.slice(at, at + OBJECTS_PER_STREAM);
    const number = next++;
    const pairs: string[] = [];
    const bodies: Buffer[] = [];
    let position = 0;
    for (const [index, object] of group.entries()) {
      where.set(object.id, [2, number, index]);
      pairs.push(`${object.id} ${position}`);
      bodies.push(object.bytes, Buffer.from("\n"));
      position += object.bytes.length + 1;
    }
    const index = Buffer.from(`${pairs.join(" ")}\n`, "latin1");
    const data = deflateSync(Buffer.concat([index, ...bodies]));
    where.set(number, [1, offset]);
    emit(
      `${number} 0 obj\n<<\n/Type /ObjStm\n/N ${group.length}\n/First ${index.length}\n` +
        `/Filter /FlateDecode\n/Length ${data.length}\n>>\nstream\n`,
    );
    emit(data);
    emit("\nendstream\nendobj\n");
  }
  const xrefNumber = next;
  const xrefOffset = offset;
  where.set(xrefNumber, [1, xrefOffset]);
  // Each entry: type (1 byte), offset or object stream number (4 bytes), generation or index (2 bytes).
  const rows = Buffer.alloc(7 * (xrefNumber + 1));
  rows.writeUInt8(0, 0);
  rows.writeUInt32BE(0, 1);
  rows.writeUInt16BE(0xffff, 5);
  for (let n = 1; n <= xrefNumber; n++) {
    const entry = where.get(n);
    if (entry === undefined) throw new Error(`packObjects: object ${n} was lost`);
    rows.writeUInt8(entry[0], 7 * n);
    rows.writeUInt32BE(entry[1], 7 * n + 1);
    rows.writeUInt16BE(entry[0] === 2 ? entry[2] : 0, 7 * n + 5);
  }
  const data = deflateSync(upPredicted(rows, 7));
  emit(
    `${xrefNumber} 0 obj\n<<\n/Type /XRef\n/Size ${xrefNumber + 1}\n/W [1 4 2]\n/Root ${root}\n` +
      `/Info ${info}\n/ID ${id}\n/Filter /FlateDecode\n/DecodeParms << /Predictor 12 /Columns 7 >>\n` +
      `/Length ${data.length}\n>>\nstream\n`,
  );
  emit(data);
  emit(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`);
  return Buffer.concat(out);
}

/**
 * Rows of `columns` bytes through PNG's Up filter (a row's bytes less the row above's, each row led by its
 * filter type, 2), which turns the cross-reference stream's slowly growing offsets into runs that deflate well.
 */
function upPredicted(rows: Buffer, columns: number): Buffer {
  const count = rows.length / columns;
  const out = Buffer.alloc(count * (columns + 1));
  for (let r = 0; r < count; r++) {
    out[r * (columns + 1)] = 2;
    for (let c = 0; c < columns; c++) {
      const above = r === 0 ? 0 : rows[(r - 1) * columns + c]!;
      out[r * (columns + 1) + 1 + c] = (rows[r * columns + c]! - above) & 0xff;
    }
  }
  return out;
}
