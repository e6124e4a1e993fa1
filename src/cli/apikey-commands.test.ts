import { beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";

// `tokenbill apikey list` as an operator runs it: each key's creator named as the console names it (a staff
// user's name and e-mail, the environment key, the first start, the command line, the key that made it),
// not as the audit log labels actors.

const { data, tokenbill } = commandsOnSharedDatabase();

/** Keys as each kind of actor leaves them (created_by is actorLabel's text), and the staff user one names. */
beforeAll(async () => {
  const { handle } = data();
  // The hash only has the form the CHECK asks for: nobody logs in here.
  const staff = { email: "ada@example.com", name: "Ada", role: "owner" as const };
  await handle.db
    .insertInto("staff_user")
    .values({ id: "stf_0a1b2c3d", ...staff, password_hash: "$argon2id$not-a-login" })
    .execute();
  const key = (id: string, name: string, created_by: string) => ({ id, name, key_hash: id, created_by });
  await handle.db
    .insertInto("api_key")
    .values([
      key("key_000000000001", "first", "system:bootstrap"),
      key("key_000000000002", "deploy", "staff:stf_0a1b2c3d"),
      key("key_000000000003", "made by env", "env-admin-key"),
      key("key_000000000004", "made by deploy", "apikey:key_000000000002"),
      key("key_000000000005", "gone staff", "staff:stf_gone"),
    ])
    .execute();
});

// The tests run at once (each command is a process mostly starting): the revoke test touches only
// key_000000000001, whose creator is all the list tests read of it, and each list test reads its own key's name.
describe.concurrent("tokenbill apikey list", () => {
  // Two commands, each a process of its own: a few seconds apiece on a busy machine.
  it("names each key's creator as a person reads it", { timeout: 120_000 }, async () => {
    // With --json the secret is in the document on stdout, and nowhere else (stderr stays empty).
    const created = await tokenbill(
      "apikey",
      "create",
      "--name",
      "from the cli",
      "--role",
      "support",
      "--json",
    );
    expect([created.code, created.stderr]).toEqual([0, ""]);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ name: "from the cli", role: "support", created_by: "cli", revoked_at: null });
    expect(key.key).toMatch(new RegExp(`^${key.prefix}`));

    // Both lists read the key just made; they depend on none of each other.
    const [listed, text] = await Promise.all([
      tokenbill("apikey", "list", "--json"),
      tokenbill("apikey", "list"),
    ]);
    expect([listed.code, listed.stderr]).toEqual([0, ""]);
    const keys = JSON.parse(listed.stdout).data as { name: string; created_by_name: string }[];
    const byOf = (name: string) => keys.find((k) => k.name === name)?.created_by_name;
    expect(byOf("first")).toBe("bootstrap (first start)");
    expect(byOf("deploy")).toBe("Ada (ada@example.com)");
    expect(byOf("made by env")).toBe("environment key (TOKENBILL_ADMIN_API_KEY)");
    expect(byOf("made by deploy")).toBe("API key “deploy”");
    // A staff user no longer there keeps the label: nothing better is known.
    expect(byOf("gone staff")).toBe("staff:stf_gone");
    expect(byOf("from the cli")).toBe("command line");

    // As a person reads it: a table with its header row (until 2026-12 it had none), the same names.
    expect(text.stdout).toMatch(/^Id +Prefix +Name +Role +State +Last used +Created by\n-+ +-+/);
    expect(text.stdout).toMatch(
      /^key_000000000002 +tbk_000000000002 +deploy +admin +active +never +Ada \(ada@example\.com\)$/m,
    );
    expect(text.stdout).toMatch(/ +from the cli +support +active +never +command line$/m);
  });

  it("refuses a role a key cannot have as bad input, making no key", { timeout: 120_000 }, async () => {
    const owner = await tokenbill("apikey", "create", "--name", "too high", "--role", "owner");
    expect(owner.code).toBe(2);
    expect(owner.stderr).toMatch(/role/);
    const listed = JSON.parse((await tokenbill("apikey", "list", "--json")).stdout).data as {
      name: string;
    }[];
    expect(listed.map((k) => k.name)).not.toContain("too high");
  });
});

describe.concurrent("tokenbill apikey revoke", () => {
  // As `staff disable nope` is: an id of the wrong form is bad input (exit 2), naming the form; it was
  // "api key nope not found" with exit 3, as if a key had been looked for.
  it("refuses an id that is not a key id as bad input, naming the form", { timeout: 120_000 }, async () => {
    // The first four depend on none of each other: they run at once.
    const [malformed, notHex, unknown, older] = await Promise.all([
      tokenbill("apikey", "revoke", "nope"),
      // Starting with key_ is not enough; it said "(key_…)", which this id seemed to be.
      tokenbill("apikey", "revoke", "key_doesnotexist123"),
      tokenbill("apikey", "revoke", "key_0000000000ff"),
      // Keys made before ids carried the key's prefix have 16 hex digits.
      tokenbill("apikey", "revoke", "key_000000000001"),
    ]);
    const form = "must be an API key id: key_ and 1 to 64 lower-case hex digits, such as key_3f9a0c1b2d4e";
    expect([malformed.code, malformed.stderr]).toEqual([2, `error: <id>: ${form}\n`]);
    expect([notHex.code, notHex.stderr]).toEqual([2, `error: <id>: ${form}\n`]);
    expect([unknown.code, unknown.stderr]).toEqual([3, "error: api key key_0000000000ff not found\n"]);
    expect([older.code, older.stdout]).toEqual([0, "revoked key_000000000001\n"]);
    const again = await tokenbill("apikey", "revoke", "key_000000000001", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, key: { id: "key_000000000001" } });
  });
});
