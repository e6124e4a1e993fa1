import { afterAll, beforeAll } from "vitest";
import { createTestDatabase } from "../../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../../db/open-database.ts";
import type { ServiceContext } from "../../../kernel/context.ts";
import { paymentProviderOf } from "../../providers/provider-from-config.ts";
import { type FakeStripeAccount, startFakeStripeAccount } from "../../providers/testing/stripe-world.ts";
import { billingContext, createCustomers } from "../../testing/billing-fixtures.ts";
import { type CardMoney, cardMoney } from "./card-money.ts";

/** What cardMoneyPerFile gives: read its fields inside tests and hooks, once they exist. */
export interface CardMoneyFile {
  readonly handle: DatabaseHandle;
  readonly stripe: FakeStripeAccount;
  readonly card: CardMoney;
  /** A billing context on the file's database, its Stripe settings the fake account's, at 2026-11-20 10:00Z. */
  ctx(): ServiceContext;
  /** A new customer with this e-mail; its id. */
  newCustomer(email: string): Promise<bigint>;
}

/**
 * A test database, a fake Stripe account and card money (card-money.ts) on them for the whole file, made before
 * its first test and closed after its last: the set-up of the tests that drive card payments and their refunds
 * through the verbs, with no HTTP server (databasePerFile, test/helpers/database-per-file.ts, plus Stripe).
 */
export function cardMoneyPerFile(): CardMoneyFile {
  const file = {} as { handle: DatabaseHandle; stripe: FakeStripeAccount; card: CardMoney };
  const ctx = () => billingContext(file.handle, file.stripe.settings, new Date("2026-11-20T10:00:00Z"));
  beforeAll(async () => {
    file.handle = await createTestDatabase();
    file.stripe = await startFakeStripeAccount();
    const provider = (await paymentProviderOf(ctx().config))!;
    file.card = cardMoney({ db: file.handle.db, account: file.stripe, provider, ctx });
  });
  afterAll(async () => {
    await file.stripe?.close();
    await file.handle?.close();
  });
  const newCustomer = async (email: string) => (await createCustomers(file.handle, [{ email }]))[0] as bigint;
  return Object.assign(file, { ctx, newCustomer });
}
