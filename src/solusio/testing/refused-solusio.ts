import { SolusioClient } from "../solusio-client.ts";

// A SolusIO whose every connection is refused, for tests of what tokenbill says while SolusIO is out of reach.
// 127.0.0.1:2: a port below 1024 is never one the kernel hands a server asking for port 0, so no other test's
// server can be listening there (a port just freed could be taken by one in the meantime).

export const REFUSED_SOLUSIO_URL = "http://127.0.0.1:2/api/v1";

/** A client of that SolusIO: one attempt a call, so a refusal is answered at once. */
export function refusedSolusioClient(): SolusioClient {
  return new SolusioClient({ baseUrl: REFUSED_SOLUSIO_URL, token: "t", maxRetries: 0 });
}
