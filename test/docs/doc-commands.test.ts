import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parseEmulatorConfig } from "../../emulator/main.ts";
import { tokenbillProgram } from "../../src/cli/program.ts";
import { codeSpans, docFiles, fencedLines } from "./markdown.ts";

// Every `tokenbill …` command line in the docs names a command that exists and only options that command
// has, with no more arguments than it takes; and the README's command table names every command. Checked
// against the command table itself (src/cli/program.ts, every group loaded), not by running each line:
// placeholders such as `ID` or `pay_…` are values here, and what a command does with a value is its own
// tests' business (every-command-arguments.test.ts runs each command's --help and its mistakes).

const docs = docFiles();
const program = await tokenbillProgram(() => true);

/** Words that follow `tokenbill` in the docs' prose and are no command line: a log line, a name. */
const NOT_COMMAND_LINES = new Set([
  "…", // "tokenbill …", any command
  "stopped", // serve's last log line
  "did not start: …", // serve's refusal
  "job listener", // the listener's application_name in pg_stat_activity
]);

/** Command lines a doc gives wrong on purpose: performance.md times how fast a mistake is told (exit 2). */
const DELIBERATE_MISTAKES = new Set([
  "docs/performance.md: apikey list --bogus",
  "docs/performance.md: customers list",
]);

/** The command lines of a doc: code spans that start with it, and shell lines in fenced blocks. */
function commandLines(text: string): string[] {
  const start = /^(?:\$ )?(?:npx tokenbill|node bin\/tokenbill\.mjs|tokenbill)(?: (.*))?$/;
  const spans = codeSpans(text).flatMap((span) => {
    const m = start.exec(span.trim());
    return m ? [m[1] ?? ""] : [];
  });
  const shell = fencedLines(text).flatMap((line) => {
    const m = start.exec(line.replace(/\s+#.*$/, "").trim());
    return m ? [m[1] ?? ""] : [];
  });
  return [...spans, ...shell].map((line) => line.trim()).filter((line) => !NOT_COMMAND_LINES.has(line));
}

/** Words of a usage line: `[--json]`, `(--invoice ID\|NUMBER \| --customer ID)` and `A|B` unwrapped. */
function words(line: string): string[] {
  return line
    .replace(/\\\|/g, "|")
    .replace(/[[\]()]/g, " ")
    .split(/\s+/)
    .filter((word) => word !== "" && word !== "|" && !/^["']?…["']?$/.test(word));
}

/** What is wrong with a command line, or undefined: `billing run --period 2026-10 [--json]`. */
function mistakeIn(line: string): string | undefined {
  const given = words(line);
  let command: Command = program;
  while (given.length > 0 && !given[0]!.startsWith("-")) {
    const sub = command.commands.find((c) => c.name() === given[0]);
    if (!sub) break;
    command = sub;
    given.shift();
  }
  if (command === program && given.length > 0 && !given[0]!.startsWith("-")) return `no command ${given[0]}`;
  if (command.name() === "emulator") return emulatorMistake(given);
  if (command.commands.length > 0 && given.length > 0 && !given[0]!.startsWith("-"))
    return `no command ${command.name()} ${given[0]}`;
  let positional = 0;
  while (given.length > 0) {
    const word = given.shift()!;
    if (!word.startsWith("-")) {
      positional++;
      continue;
    }
    const name = word.split("=")[0]!;
    if (name === "--help" || name === "-h" || (command === program && ["--version", "-V"].includes(name)))
      continue;
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (!option) return `no option ${name} on ${command.name()}`;
    if (
      (option.required || option.optional) &&
      !word.includes("=") &&
      given.length > 0 &&
      !given[0]!.startsWith("-")
    )
      given.shift();
  }
  if (positional > command.registeredArguments.length)
    return `${positional} arguments, where ${command.name()} takes ${command.registeredArguments.length}`;
  return undefined;
}

/** The emulator parses its own options (emulator/main.ts): they are checked by its parser. */
function emulatorMistake(given: string[]): string | undefined {
  try {
    parseEmulatorConfig(given, {});
    return undefined;
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

/** Every command that runs (not a group), by its words: `payments refund-release`. */
function leafCommands(command: Command, path: string[] = []): string[] {
  if (command.commands.length === 0) return [path.join(" ")];
  return command.commands.flatMap((c) => leafCommands(c, [...path, c.name()]));
}

describe("the command lines in the docs", () => {
  it("finds the mistakes it is for", () => {
    expect(mistakeIn("billing run --period 2026-10 [--json]")).toBeUndefined();
    expect(
      mistakeIn("payments record (--invoice ID\\|NUMBER \\| --customer ID) --amount 12.34"),
    ).toBeUndefined();
    expect(mistakeIn("emulator --seed demo.json --state emulator-state.json")).toBeUndefined();
    expect(mistakeIn("customers list")).toBe("no command customers");
    expect(mistakeIn("billing start --period 2026-10")).toBe("no command billing start");
    expect(mistakeIn("billing run --month 2026-10")).toBe("no option --month on run");
    expect(mistakeIn("staff disable 3 4")).toBe("2 arguments, where disable takes 1");
    expect(mistakeIn("emulator --speed 2")).toMatch(/--speed/);
  });

  it("names only commands and options that exist", () => {
    const lines = docs.flatMap((doc) => commandLines(doc.text).map((line) => ({ doc: doc.path, line })));
    expect(lines.length).toBeGreaterThan(100);
    const wrong = lines.flatMap(({ doc, line }) => {
      if (DELIBERATE_MISTAKES.has(`${doc}: ${line}`)) return [];
      const mistake = mistakeIn(line);
      return mistake ? [`${doc}: tokenbill ${line}: ${mistake}`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it("lists every command in the README's command table", () => {
    const readme = docs.find((doc) => doc.path === "README.md")!.text;
    const table = readme.slice(readme.indexOf("## Commands"), readme.indexOf("## Configuration"));
    // A row names a group's first command in full and the others after a slash: `… / \`list\` / \`revoke ID\``.
    const rows = table.split("\n").filter((row) => row.startsWith("| `tokenbill "));
    const listed = new Set(
      rows.flatMap((row) => {
        const cell = row.split(/(?<!\\)\| /)[1] ?? "";
        const spans = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
        const first = spans[0]!.split(" ");
        const group = first[1]!;
        return spans.flatMap((span, i) => {
          if (i === 0)
            return [
              first
                .slice(1)
                .filter((w) => /^[a-z][a-z0-9-]*$/.test(w))
                .slice(0, 2)
                .join(" "),
            ];
          if (span.startsWith("tokenbill ") || span.startsWith("npm ")) return [];
          return [`${group} ${span.split(" ")[0]}`];
        });
      }),
    );
    const missing = leafCommands(program).filter((command) => !listed.has(command));
    expect(missing).toEqual([]);
  });
});
