// Finds PostgreSQL's NotificationResponse messages in a backend's output as it streams to a socket client.
//
// Why: `serve` shares its PGlite with commands over a socket, and what a command runs there goes to the
// command as raw protocol bytes; PGlite's own listeners never see it. A command that writes a job sends the
// job's NOTIFY (job-wakeups.ts), and once `serve`'s session LISTENs on the channel, PostgreSQL puts the
// NotificationResponse into the output of the command's committing cycle. Reading it there lets `serve`'s
// runner take the job at once instead of at its next poll.
//
// A message is a type byte, a big-endian int32 length that counts itself, then the body. Only 'A' bodies are
// kept (int32 pid, channel, payload, both NUL-terminated). A stream that stops looking like messages (a
// client that asked for SSL gets a lone 'N' byte) is given up on: the poll still finds the job.

const NOTIFICATION = 0x41; // 'A'
const HEADER = 5;
/** Longer than any channel and payload PostgreSQL accepts (NAMEDATALEN and 8000 bytes). */
const MAX_NOTIFICATION = 16 * 1024;
const MAX_MESSAGE = 1 << 30;

const decoder = new TextDecoder();

export class NotificationScanner {
  readonly #header = new Uint8Array(HEADER);
  #headerFill = 0;
  /** Body bytes of the current message still to come (after its header). */
  #remaining = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #lost = false;

  constructor(private readonly onNotification: (channel: string, payload: string) => void) {}

  /** True once the stream stopped looking like protocol messages; nothing more is reported. */
  get lost(): boolean {
    return this.#lost;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.#lost) {
      if (this.#headerFill < HEADER) {
        const n = Math.min(HEADER - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill === HEADER) this.#begin();
        continue;
      }
      const n = Math.min(this.#remaining, chunk.length - at);
      this.#body?.set(chunk.subarray(at, at + n), this.#bodyFill);
      this.#bodyFill += n;
      this.#remaining -= n;
      at += n;
      if (this.#remaining === 0) this.#end();
    }
  }

  #begin(): void {
    const view = new DataView(this.#header.buffer);
    const length = view.getInt32(1);
    if (length < 4 || length > MAX_MESSAGE) {
      this.#lost = true;
      return;
    }
    this.#remaining = length - 4;
    const isNotification = this.#header[0] === NOTIFICATION;
    if (isNotification && this.#remaining > MAX_NOTIFICATION) {
      this.#lost = true;
      return;
    }
    this.#body = isNotification ? new Uint8Array(this.#remaining) : undefined;
    this.#bodyFill = 0;
    if (this.#remaining === 0) this.#end();
  }

  #end(): void {
    const body = this.#body;
    this.#body = undefined;
    this.#headerFill = 0;
    if (!body) return;
    // int32 process id, then the channel and the payload, each ended by a NUL.
    const channelEnd = body.indexOf(0, 4);
    const payloadEnd = channelEnd < 0 ? -1 : body.indexOf(0, channelEnd + 1);
    if (payloadEnd < 0) {
      this.#lost = true;
      return;
    }
    this.onNotification(
      decoder.decode(body.subarray(4, channelEnd)),
      decoder.decode(body.subarray(channelEnd + 1, payloadEnd)),
    );
  }
}
