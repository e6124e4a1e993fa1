import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../../db/schema.ts";
import { storedErrorText } from "../../db/stored-error-text.ts";
import {
  type ClaimedJob,
  type JobHandler,
  type JobRun,
  PermanentJobError,
  RetryLaterError,
} from "../../jobs/job-runner.ts";
import type { SolusioUser } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { AdoptionConflict, assertAdoptable, DuplicateUsersConflict, isOwnedBy } from "./adoption.ts";
import { customerReader, type SyncedCustomer } from "./customer-reads.ts";
import { customerOrderingKey, type SyncCustomerPayload } from "./enqueue-customer-sync.ts";

export interface SyncDeps {
  db: Kysely<Database>;
  api: SolusioApi;
  logger: Logger;
  /** SolusIO limit group id for a tokenbill limit-group name; undefined = SolusIO's default for new users. */
  limitGroupId(name: string | null): Promise<number | undefined>;
  /**
   * Runs first in every attempt: the check that SolusIO is the database's own (ensureBound). Inside the
   * attempt, so that a SolusIO that does not answer it is noted on the customer like any other failure.
   * `signal` is the attempt's (JobRun.signal).
   */
  beforeEach?: (signal?: AbortSignal) => Promise<void>;
}

/**
 * Makes SolusIO's user match the customer as it is now, the way the official modules do it (solusio-api.md
 * §2): find by stored id, else by e-mail; create with billing_user_id when missing; PATCH the e-mail; PUT
 * status and billing_user_id. Each step checks before it writes, so a repeated delivery changes nothing.
 * A user found that billing may not adopt (adoption.ts) makes the customer `conflict` and the job end.
 */
export function syncCustomerHandler(deps: SyncDeps): JobHandler<SyncCustomerPayload> {
  const reader = customerReader(deps.db);
  const readCustomer = reader.read;
  const handler = async (job: ClaimedJob<SyncCustomerPayload>, attempt?: JobRun) => {
    const payload = job.payload; // parsed by the runner with the kind's schema (src/jobs/job-payloads.ts)
    const customerId = BigInt(payload.customerId);
    const run: SyncRun = { createSent: false };
    const signal = attempt?.signal;
    // The attempt's SolusIO calls end when the runner stops waiting for it (a stop's grace, a timeout): one
    // in flight at once, and none is started or retried after. The job's next run may already be under way.
    const own = { ...deps, api: deps.api.stoppedBy(signal) };
    try {
      await deps.beforeEach?.(signal);
      if (payload.deleted) return await deleteUser(own, customerId, payload.deleted);
      await syncExisting(own, job, await readCustomer(customerId), run, signal);
    } catch (error) {
      // Given up on by the runner: what this attempt saw is old news to the run that follows it, whose notes on
      // the customer (in_sync, a newer error) this one must not overwrite. Nothing is recorded.
      if (signal?.aborted) throw error;
      if (error instanceof AdoptionConflict || error instanceof DuplicateUsersConflict) {
        // Retrying cannot help: the customer or SolusIO has to change first (the message says which). The
        // stored id is forgotten, so that a new e-mail leads to a user of the customer's own.
        await deps.db
          .updateTable("customer")
          .set({
            sync_state: "conflict",
            sync_error: storedErrorText(error.message, 1000),
            solusio_user_id: null,
          })
          .where("id", "=", customerId)
          .execute();
        throw new PermanentJobError(error.message);
      }
      // SolusIO said when to ask again (Retry-After), later than the client waits itself: the job waits that
      // long. A deferral gives the attempt back unless this run sent POST users (its outcome may be unknown,
      // and the user id is stored only at the end): then it counts, so the next run looks before it creates
      // even when an edit has cleared the note on the customer meanwhile.
      if (error instanceof SolusioError && error.retryable && (error.retryAfterMs ?? 0) > 0) {
        const wait = `waiting ${Math.ceil((error.retryAfterMs ?? 0) / 1000)} s, as SolusIO asked: ${error.message}`;
        if (!payload.deleted) await noteSyncError(deps, customerId, wait);
        throw new RetryLaterError(wait, error.retryAfterMs ?? 0, { countsAsAttempt: run.createSent });
      }
      // SolusIO refusing tokenbill's own token (401; 403: its user lost the Admin role) says nothing about the
      // customer: it is retried like an outage, so that what changed meanwhile still reaches SolusIO once the
      // operator fixes SOLUSIO_API_TOKEN (a lock marked failed for good left the servers running).
      const tokenRefused = error instanceof SolusioError && (error.status === 401 || error.status === 403);
      const permanent = error instanceof SolusioError && !error.retryable && !tokenRefused;
      // SolusIO failed in a way a retry may get past (5xx, no answer): the job is retried with backoff and the
      // customer stays pending, with the reason beside it, so that "pending" for an hour says why. Only
      // SolusIO's text, made showable by SolusioError, is noted; the job's last_error has any other.
      if (!permanent && !payload.deleted && error instanceof SolusioError)
        await noteSyncError(
          deps,
          customerId,
          `retrying after attempt ${job.attempts}: ${error.message}`,
        ).catch((noteError: unknown) =>
          deps.logger.warn({ err: noteError }, "could not note the sync error"),
        );
      if (permanent && !payload.deleted) {
        await deps.db
          .updateTable("customer")
          .set({ sync_state: "failed", sync_error: storedErrorText(error.message, 1000) })
          .where("id", "=", customerId)
          .execute();
      }
      if (permanent) throw new PermanentJobError(error.message);
      if (tokenRefused) throw new Error(error.message, { cause: error });
      throw error;
    }
  };
  // The customers of a claim are read together when it is claimed; each job takes its own read when it starts.
  const claimed = (jobs: ClaimedJob<SyncCustomerPayload>[]) =>
    reader.readAhead(jobs.filter((j) => !j.payload.deleted).map((j) => BigInt(j.payload.customerId)));
  return Object.assign(handler, { claimed });
}

/**
 * Notes why the customer's sync is still pending (sync.error), leaving its state alone: the job goes on. The
 * next successful sync clears it, as does the next change that queues a sync.
 */
async function noteSyncError(deps: SyncDeps, customerId: bigint, text: string): Promise<void> {
  await deps.db
    .updateTable("customer")
    .set({ sync_error: storedErrorText(text, 1000) })
    .where("id", "=", customerId)
    .execute();
}

async function findUser(
  deps: SyncDeps,
  storedId: bigint | null,
  email: string,
): Promise<SolusioUser | undefined> {
  if (storedId !== null) {
    const byId = await deps.api.getUser(Number(storedId));
    if (byId) return byId;
  }
  return deps.api.findUserByEmail(email);
}

/** What a run of a sync job did that its failure handling must know. */
interface SyncRun {
  /** POST users was sent: SolusIO may hold the user although no id was stored. */
  createSent: boolean;
}

async function syncExisting(
  deps: SyncDeps,
  job: ClaimedJob<SyncCustomerPayload>,
  customer: SyncedCustomer | undefined,
  run: SyncRun,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!customer) return; // deleted since; the deletion's own job follows in order
  const customerId = customer.id;
  const billingUserId = Number(customer.id);
  const limitGroupId = await deps.limitGroupId(customer.limit_group);
  let user: SolusioUser | undefined;
  if (customer.solusio_user_id === null) {
    // The first attempt of the job written with the customer's creation, with nothing noted since, creates
    // straight away; SolusIO's 422 for a taken e-mail sends us to the search-and-adopt path below. That
    // saves a user search per new customer (bench/sync).
    const firstCreate = job.payload.created === true && job.attempts === 1 && customer.sync_error === null;
    // Any other job: an earlier attempt or an earlier job (one that failed for good, after which an edit
    // queued this one) may have sent a POST that SolusIO carried out although its answer was lost
    // (solusio-api.md §1), under the e-mail the customer had then. A user carrying this customer's
    // billing_user_id is that user; creating another would leave two. Two such users already: which one is
    // the customer's is for a person to decide.
    if (!firstCreate) {
      const carrying = await deps.api.findUsersByBillingId(billingUserId);
      if (carrying.length > 1) throw new DuplicateUsersConflict(carrying, billingUserId);
      const owned = carrying[0];
      user =
        owned && isOwnedBy(owned, billingUserId) ? owned : await deps.api.findUserByEmail(customer.email);
    }
  } else {
    user = await findUser(deps, customer.solusio_user_id, customer.email);
  }
  if (!user) {
    run.createSent = true;
    try {
      user = await deps.api.createUser({
        email: customer.email,
        status: customer.status,
        billingUserId,
        limitGroupId,
      });
    } catch (error) {
      // The e-mail is taken: by a user an earlier job created, or by someone else's account. The client
      // already took back a user its own lost attempts created (SolusioApi.createUser); the adoption rule
      // below decides about any other.
      if (!(error instanceof SolusioError && error.status === 422 && error.fields["email"])) throw error;
      user = await deps.api.findUserByEmail(customer.email);
      if (!user) throw error;
    }
  }
  // Before anything is written: never take over an admin or another billing customer's user.
  assertAdoptable(user, billingUserId);
  if (user.email.toLowerCase() !== customer.email.toLowerCase())
    user = await deps.api.patchEmail(user.id, customer.email);
  const groupDiffers =
    limitGroupId !== undefined && (user.limit_group?.id ?? user.limit_group_id) !== limitGroupId;
  if (user.status !== customer.status || user.billing_user_id !== billingUserId || groupDiffers) {
    user = await deps.api.putUser(user.id, { status: customer.status, billingUserId, limitGroupId });
  }
  // The runner gave up on this attempt while its last call was answered: the next run stores what it finds.
  signal?.throwIfAborted();
  // One statement: store the user id, and say in_sync only if no later change is queued behind this job
  // (that job will say so when it has run).
  const laterJobQueued = sql<boolean>`exists (select 1 from job where ordering_key = ${customerOrderingKey(customerId)}
    and status in ('pending', 'running') and id <> ${job.id})`;
  const stored = await deps.db
    .updateTable("customer")
    .set({
      solusio_user_id: BigInt(user.id),
      synced_at: new Date(),
      sync_state: sql`case when ${laterJobQueued} then sync_state else 'in_sync' end`,
      sync_error: sql`case when ${laterJobQueued} then sync_error else null end`,
    })
    .where("id", "=", customerId)
    .executeTakeFirst();
  // The customer was deleted while this job ran: its deletion job may not know this user (it had no id
  // yet, and the e-mail may have changed since), so this job undoes its own work.
  if (stored.numUpdatedRows === 0n && user.billing_user_id === billingUserId)
    await deps.api.deleteUser(user.id);
}

async function deleteUser(
  deps: SyncDeps,
  customerId: bigint,
  deleted: NonNullable<SyncCustomerPayload["deleted"]>,
): Promise<void> {
  const billingUserId = Number(customerId);
  const storedId = deleted.solusioUserId === null ? null : BigInt(deleted.solusioUserId);
  let user = await findUser(deps, storedId, deleted.email);
  // Delete only a user this customer owns: not an admin, not another billing customer's user, and not one
  // with an empty billing_user_id (billing never adopted it, since adopting writes billing_user_id).
  if (user && !isOwnedBy(user, billingUserId)) user = undefined;
  if (user) return await deps.api.deleteUser(user.id);
  // A user created by a job that raced the deletion may carry neither the stored id nor the last e-mail:
  // billing_user_id is the last resort. Every user the customer owns goes (two, when a create was repeated).
  for (const owned of await deps.api.findUsersByBillingId(billingUserId))
    if (isOwnedBy(owned, billingUserId)) await deps.api.deleteUser(owned.id);
}
