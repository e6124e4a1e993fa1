import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { placeWithoutReplacing, writePrivately } from "./write-privately.ts";

// How `tokenbill database backup` puts its finished file in place (docs/operations.md, "Backups").

const write = (text: string) => async (into: NodeJS.WritableStream) =>
  new Promise<void>((done, fail) => {
    into.on("error", fail);
    into.end(text, () => done());
  });

describe("a backup's file", () => {
  it("is written whole under its name, readable by its owner only", async () => {
    const path = join(testTempDir("tb-write-"), "backup.tar.gz");
    expect(await writePrivately(path, write("archive"), undefined)).toBe(7);
    expect(readFileSync(path, "utf8")).toBe("archive");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("never replaces a file that took its name while it was written, and leaves no partial file", async () => {
    const dir = testTempDir("tb-write-");
    const path = join(dir, "backup.tar.gz");
    const meanwhile = async (into: NodeJS.WritableStream) => {
      writeFileSync(path, "someone else's");
      await write("archive")(into);
    };
    await expect(writePrivately(path, meanwhile, undefined)).rejects.toMatchObject({
      code: "CONFLICT",
      message: `${path} was created by something else while the backup was written; it was left as it is and the backup was not kept: name a new file`,
    });
    expect(readFileSync(path, "utf8")).toBe("someone else's");
    expect(readdirSync(dir)).toEqual(["backup.tar.gz"]);
  });

  it("on a file system without hard links is renamed into place, still never over a file", () => {
    const dir = testTempDir("tb-write-");
    const noLinks = () => {
      throw Object.assign(new Error("operation not permitted"), { code: "EPERM" });
    };
    writeFileSync(join(dir, "a.partial"), "archive");
    placeWithoutReplacing(join(dir, "a.partial"), join(dir, "a.tar.gz"), noLinks);
    expect(readFileSync(join(dir, "a.tar.gz"), "utf8")).toBe("archive");
    expect(existsSync(join(dir, "a.partial"))).toBe(false);

    writeFileSync(join(dir, "b.partial"), "archive");
    writeFileSync(join(dir, "b.tar.gz"), "someone else's");
    expect(() => placeWithoutReplacing(join(dir, "b.partial"), join(dir, "b.tar.gz"), noLinks)).toThrow(
      expect.objectContaining({ code: "CONFLICT" }),
    );
    expect(readFileSync(join(dir, "b.tar.gz"), "utf8")).toBe("someone else's");
  });
});
