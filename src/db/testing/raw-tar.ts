import { gzipSync } from "node:zlib";
import * as tar from "tar";

export interface RawEntry {
  path: string;
  type: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO";
  linkpath?: string;
  body?: string;
  /** A header whose checksum does not match, as a damaged archive has. */
  badChecksum?: true;
}

const MTIME = new Date("2026-12-04T21:05:12Z");

/**
 * A gzipped tar of exactly these entries, in this order, as no well-behaved packer writes them: the crafted
 * archives a restore must refuse (a file through a symbolic link, a path with `..`, a damaged header).
 */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { path, type, linkpath, body = "", badChecksum } of entries) {
    const data = Buffer.from(body);
    const header = Buffer.alloc(512);
    new tar.Header({ path, type, linkpath, size: data.byteLength, mode: 0o644, mtime: MTIME }).encode(
      header,
      0,
    );
    if (badChecksum) header[0] = (header[0] ?? 0) ^ 1;
    blocks.push(header, data, Buffer.alloc((512 - (data.byteLength % 512)) % 512));
  }
  // Two zero blocks end a tar.
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}
