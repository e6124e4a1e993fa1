import { Agent, request } from "undici";
import { emulatorProcess } from "./emulator-with-latency.ts";

/** The baseline: the emulator's `POST users` driven directly with `concurrency` requests at a time. */
export async function directRate(n: number, concurrency: number, latencyMs: number): Promise<number> {
  const emulator = await emulatorProcess(latencyMs);
  const agent = new Agent({ connections: concurrency });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await request(`${emulator.apiUrl}/users`, {
          method: "POST",
          dispatcher: agent,
          headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({
            email: `direct${i}@example.com`,
            password: "pw-123456",
            status: "active",
            billing_user_id: i + 1,
          }),
        });
        await r.body.text();
        if (r.statusCode !== 201) throw new Error(`POST users answered ${r.statusCode}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  await emulator.close();
  return n / seconds;
}
