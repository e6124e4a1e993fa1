import { describe, expect, it } from "vitest";
import { NotificationScanner } from "./notification-scanner.ts";

// The scanner reads NotificationResponse messages out of a backend's raw output, however the output is cut.

const encoder = new TextEncoder();

function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

function notification(channel: string, payload: string): Uint8Array {
  const text = encoder.encode(`${channel}\0${payload}\0`);
  const body = new Uint8Array(4 + text.length);
  new DataView(body.buffer).setInt32(0, 42);
  body.set(text, 4);
  return message("A", body);
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const commandComplete = message("C", encoder.encode("COMMIT\0"));
const readyForQuery = message("Z", encoder.encode("I"));
const parseComplete = message("1", new Uint8Array(0));

function scan(chunks: Uint8Array[]) {
  const heard: [string, string][] = [];
  const scanner = new NotificationScanner((channel, payload) => heard.push([channel, payload]));
  for (const chunk of chunks) scanner.push(chunk);
  return { heard, lost: scanner.lost };
}

describe("NotificationScanner", () => {
  const stream = concat(
    parseComplete,
    commandComplete,
    notification("tokenbill_job", "public"),
    notification("other", "ünïcode"),
    readyForQuery,
  );

  it("reports each notification among other messages, in one piece", () => {
    expect(scan([stream])).toEqual({
      heard: [
        ["tokenbill_job", "public"],
        ["other", "ünïcode"],
      ],
      lost: false,
    });
  });

  it("reports the same when the output comes a byte at a time, or cut anywhere", () => {
    const bytes = Array.from(stream, (b) => new Uint8Array([b]));
    expect(scan(bytes).heard).toHaveLength(2);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(scan([stream.subarray(0, cut), stream.subarray(cut)]).heard).toEqual([
        ["tokenbill_job", "public"],
        ["other", "ünïcode"],
      ]);
    }
  });

  it("gives up, reporting nothing more, when the output stops looking like messages", () => {
    // An SSLRequest's answer is a lone 'N', read as a message whose length is the next four bytes.
    const garbled = concat(new Uint8Array([0x4e]), message("R", new Uint8Array(4)), notification("x", "y"));
    expect(scan([garbled])).toEqual({ heard: [], lost: true });
  });
});
