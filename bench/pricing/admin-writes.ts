// Staff at work while GetTokenPricing is under load: a steady stream of admin API writes that change prices.
// Each write is one of the edits an admin makes most: a customer's country (another tax rule), a customer's
// client group, a customer's own discount, a client group's discount. Writes are fired on a fixed schedule
// (not one after another), so a slow write does not lower the rate the index has to absorb.

export interface AdminWrites {
  /** Stops the schedule and waits for writes still in flight. */
  stop(): Promise<{ ok: number; failed: number; seconds: number }>;
}

const COUNTRIES = ["DE", "FR", "GB", "US", "NL", "CA"];
const GROUPS = 20; // seed-customers.ts: client groups 1..20, their discounts are discount ids 1..20

export function startAdminWrites(opts: {
  port: number;
  adminKey: string;
  customers: number;
  perSecond: number;
}): AdminWrites {
  const { port, adminKey, customers, perSecond } = opts;
  const randomCustomer = () => 1 + Math.floor(Math.random() * customers);
  // Customers with id % 5 = 0 have an own discount, numbered in customer order after the group discounts.
  const ownDiscountCount = Math.floor(customers / 5);
  const edits: (() => [string, unknown])[] = [
    () => [
      `customers/${randomCustomer()}`,
      { country: COUNTRIES[Math.floor(Math.random() * COUNTRIES.length)] },
    ],
    () => [
      `customers/${randomCustomer()}`,
      { client_group_id: Math.random() < 0.3 ? null : 1 + Math.floor(Math.random() * GROUPS) },
    ],
    () => [
      `discounts/${GROUPS + 1 + Math.floor(Math.random() * ownDiscountCount)}`,
      { multiplier: `0.${80 + Math.floor(Math.random() * 20)}` },
    ],
    () => [
      `discounts/${1 + Math.floor(Math.random() * GROUPS)}`,
      { multiplier: `0.${90 + Math.floor(Math.random() * 10)}` },
    ],
  ];
  let ok = 0;
  let failed = 0;
  let n = 0;
  const inFlight = new Set<Promise<void>>();
  const startedAt = performance.now();

  const write = async () => {
    const [path, body] = edits[n++ % edits.length]!();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/${path}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      if (res.ok) ok++;
      else failed++;
    } catch {
      failed++;
    }
  };
  const timer = setInterval(() => {
    const p = write().finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 1000 / perSecond);

  return {
    async stop() {
      clearInterval(timer);
      const seconds = (performance.now() - startedAt) / 1000;
      await Promise.all(inFlight);
      return { ok, failed, seconds };
    },
  };
}
