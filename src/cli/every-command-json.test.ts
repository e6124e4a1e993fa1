import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { tokenbillProgram } from "./program.ts";

// Every command takes --json, so that a script can read any of them (and any failure, as the error
// envelope) without scraping text. Walked from the command table itself: a command added without --json
// fails here, whichever group it joins.

/** The commands that run a server until stopped: their output is a log (LOG_FORMAT=json), not a result. */
const WITHOUT_JSON: Record<string, string> = {
  serve: "a server: its output is its log, in JSON with LOG_FORMAT=json",
  emulator: "the emulator's own command line (emulator/main.ts), a server like serve",
};

/** Every command that runs an action: `billing run`, not the `billing` group. */
function leaves(command: Command, words: string[] = []): { path: string; command: Command }[] {
  if (command.commands.length === 0) return [{ path: words.join(" "), command }];
  return command.commands.flatMap((c) => leaves(c, [...words, c.name()]));
}

describe("the command table", () => {
  // Loading every group imports most of tokenbill: seconds on a busy machine.
  it("gives every command a --json option", { timeout: 120_000 }, async () => {
    const program = await tokenbillProgram(() => true);
    const commands = leaves(program);
    // The walk reaches the groups' commands, not only the groups.
    expect(commands.map((c) => c.path)).toEqual(
      expect.arrayContaining(["billing runs", "payments list", "staff list", "apikey revoke", "migrate"]),
    );
    const lacking = commands
      .filter(
        ({ path, command }) => !(path in WITHOUT_JSON) && !command.options.some((o) => o.long === "--json"),
      )
      .map((c) => c.path);
    expect(lacking).toEqual([]);
    // An exemption names a command that exists.
    for (const path of Object.keys(WITHOUT_JSON)) expect(commands.map((c) => c.path)).toContain(path);
  });
});
