import { describe, expect, it } from "vitest";
import { laterReading, processKind } from "./database-cpu.ts";

describe("PostgreSQL's processes, as the billing benchmark counts their CPU", () => {
  it("tells connections from background processes by their title", () => {
    expect(processKind("postgres: 15/main: postgres test 127.0.0.1(51234) idle")).toBe(true);
    expect(processKind("postgres: 15/main: postgres test 127.0.0.1(51234) UPDATE waiting")).toBe(true);
    expect(processKind("postgres: 15/main: parallel worker for PID 4242")).toBe(true);
    expect(processKind("postgres: 15/main: checkpointer ")).toBe(false);
    expect(processKind("postgres: 15/main: background writer ")).toBe(false);
    expect(processKind("postgres: 15/main: walwriter ")).toBe(false);
    expect(processKind("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main")).toBe(false);
  });

  it("cannot tell from the empty title of an exited, not yet reaped process", () => {
    expect(processKind("")).toBeUndefined();
  });

  it("keeps a connection a connection when its last reading has no title, with the CPU of that reading", () => {
    const connection = { cpuMs: 1200, backend: true };
    expect(laterReading(connection, { cpuMs: 1250, backend: undefined })).toEqual({
      cpuMs: 1250,
      backend: true,
    });
    expect(laterReading(connection, { cpuMs: 1300, backend: true })).toEqual({ cpuMs: 1300, backend: true });
    expect(laterReading(undefined, { cpuMs: 5, backend: undefined })).toEqual({
      cpuMs: 5,
      backend: undefined,
    });
  });
});
