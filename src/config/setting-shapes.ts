import { existsSync } from "node:fs";
import { z } from "zod";
import { commaList, jsonArray } from "./setting-kinds.ts";

// The settings with a shape of their own (src/config/config-schema.ts names them): the SolusIO limit groups,
// the dunning ladder, webhook URLs, fallback fonts, and the checks a sender address and a time zone pass.

/** A limit group tokenbill keeps in SolusIO (seed step 5); -1 means unlimited. */
export const LimitGroupSpec = z
  .object({
    name: z.string().min(1).max(200),
    vms: z.number().int().min(-1),
    running_vms: z.number().int().min(-1),
    additional_ips: z.number().int().min(-1),
  })
  .strict();

/**
 * One rung of the dunning ladder (billing-rules §8): `days` from the earliest overdue invoice's due date (−3
 * is three days before it), what is e-mailed, what status the customer gets in SolusIO. A rung with neither
 * is only recorded (termination: listed for staff, never done by the ladder).
 */
const DunningStepSpec = z
  .object({
    step: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a lower-case name such as first_overdue"),
    days: z.number().int().min(-60).max(365),
    email: z.enum(["reminder", "first_overdue", "second_overdue", "final_notice"]).optional(),
    status: z.enum(["locked", "suspended"]).optional(),
  })
  .strict();

/** billing-rules §8's defaults. */
const DEFAULT_DUNNING_LADDER: z.input<typeof DunningStepSpec>[] = [
  { step: "reminder", days: -3, email: "reminder" },
  { step: "first_overdue", days: 1, email: "first_overdue" },
  { step: "second_overdue", days: 7, email: "second_overdue", status: "locked" },
  { step: "final_notice", days: 14, email: "final_notice", status: "suspended" },
  { step: "termination_candidate", days: 14 },
];

/** DUNNING_LADDER: the rungs as a JSON array, each name once and none "closed", a status only once overdue. */
export const dunningLadder = jsonArray(DunningStepSpec)
  .default(DEFAULT_DUNNING_LADDER)
  .superRefine((ladder, zctx) => {
    const names = new Set<string>();
    ladder.forEach((s, i) => {
      if (names.has(s.step) || s.step === "closed")
        zctx.addIssue({
          code: "custom",
          path: [i, "step"],
          message: `${s.step} is used twice or reserved`,
        });
      names.add(s.step);
      // Nothing is overdue before the day after the due date: no lock or suspension can come earlier.
      if (s.status !== undefined && s.days < 1)
        zctx.addIssue({ code: "custom", path: [i, "days"], message: "a status step needs days >= 1" });
    });
  });

/**
 * Webhook endpoints: http(s) URLs without a user name or password, which fetch refuses to send to (every
 * delivery would fail). The problem names the entry by its index and origin, never the credential.
 */
export const webhookUrlList = commaList(
  z.url({ protocol: /^https?$/ }).refine(
    (url) => {
      // Run on an entry the URL check refused too: it is reported there, and `new URL` would throw past the
      // configuration's list of problems (a stack trace, exit 1, until 2026-12-06).
      if (!URL.canParse(url)) return true;
      const parsed = new URL(url);
      return parsed.username === "" && parsed.password === "";
    },
    {
      error: (issue) =>
        `${new URL(String(issue.input)).origin} carries a user name or password, which webhook requests cannot send; give the receiver a token in the path or query instead`,
    },
  ),
);

/** Font files, each `path` or `path#PostScriptName` (one face of a collection), each existing. */
export const fontFileList = commaList(
  z.string().refine((spec) => existsSync(spec.replace(/#[^#/]*$/, "")), {
    error: (issue) => `no such font file: ${String(issue.input)}`,
  }),
  8,
);

/**
 * A sender as MAIL_FROM takes it: `billing@example.com` or `Example Billing <billing@example.com>`. Anything
 * else ("billing", a name alone) was taken until 2026-12-05: handed to the SMTP server as the sender of every
 * e-mail, and printed as the seller's e-mail on invoices while SELLER_EMAIL is unset.
 */
export function isMailbox(text: string): boolean {
  if (/\p{Cc}/u.test(text)) return false;
  const address = /^[^\s<>@",;]+@[^\s<>@",;]+$/;
  if (address.test(text)) return true;
  const named = /^[^<>]*<([^<>]+)>$/.exec(text);
  return named !== null && address.test(named[1]!);
}

/**
 * The zone's canonical IANA name (`europe/berlin` → `Europe/Berlin`, `Etc/UTC` → `UTC`, a link such as
 * `US/Pacific` → `America/Los_Angeles`), so that settings, `tokenbill config` and each billing run's summary
 * name it one way however it was written; undefined when it is not a zone.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
