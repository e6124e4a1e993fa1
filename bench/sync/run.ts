import { directRate } from "./direct-rate.ts";
import { databaseName } from "./emulator-with-latency.ts";
import { percentile, pickupLatency } from "./pickup-latency.ts";
import { tokenbillRates } from "./tokenbill-rate.ts";

// User sync throughput: N customers' users delivered to the SolusIO emulator by tokenbill's job runner (each
// delivery = POST users + bookkeeping), against the emulator's raw `POST users` rate driven directly with the
// same concurrency in the same run. The delivery rate is timed with the customers' jobs already queued; the
// rate with creation and delivery side by side is printed beside it. For the rates the emulator is a process
// of its own, as SolusIO is a server of its own; the pickup latency watches an emulator in this process. Twice: with no added latency (tokenbill's own
// overhead) and with 20 ms on every emulator call (a real SolusIO's pace). Then the time from
// `POST /api/v1/customers` to the user in SolusIO at idle. The final `ratio:` is the 20 ms one.

function option(name: string, fallback: number): number {
  const value = process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return value === undefined ? fallback : Number(value);
}

const N = option("customers", 10_000);
const N_SLOW = option("latency-customers", 3_000);
const LATENCY_MS = option("latency-ms", 20);
const CREATIONS = option("creations", 200);
const CONCURRENCY = 8;
const out = (line: string) => process.stdout.write(`${line}\n`);

async function figure(n: number, latencyMs: number): Promise<number> {
  const direct = await directRate(n, CONCURRENCY, latencyMs);
  const tb = await tokenbillRates(n, CONCURRENCY, latencyMs);
  const ratio = tb.deliverRate / direct;
  out(`${latencyMs} ms emulator latency, ${n} customers, concurrency ${CONCURRENCY}:`);
  out(`  direct POST users: ${direct.toFixed(0)} users/s`);
  out(`  tokenbill delivery (jobs queued): ${tb.deliverRate.toFixed(0)} users/s`);
  out(`  tokenbill delivery ÷ direct: ${ratio.toFixed(3)}`);
  out(
    `  tokenbill create + deliver side by side: ${tb.createAndDeliverRate.toFixed(0)} users/s, ` +
      `÷ direct ${(tb.createAndDeliverRate / direct).toFixed(3)} (creating took ${tb.createSeconds.toFixed(1)} s)`,
  );
  return ratio;
}

out(`database ${databaseName()}`);
await figure(N, 0);
const slowRatio = await figure(N_SLOW, LATENCY_MS);
for (const latency of [0, LATENCY_MS]) {
  const times = await pickupLatency(CREATIONS, latency);
  out(
    `POST /api/v1/customers → user in SolusIO at idle, ${latency} ms latency, ${times.length} creations: ` +
      `p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`,
  );
}
out(`ratio: ${slowRatio.toFixed(3)}`);
