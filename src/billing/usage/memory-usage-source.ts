import type { UsageNote, UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";

/** Usage already in memory (a replayed recording, tests): the records whose period matches are served. */
export class MemoryUsageSource implements UsageSource {
  constructor(
    private readonly records: readonly UsageRecord[] | ((period: UsagePeriod) => Iterable<UsageRecord>),
    readonly name = "memory",
    private readonly extraNotes: UsageNote[] = [],
  ) {}

  async *fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord> {
    yield* typeof this.records === "function" ? this.records(period) : this.records;
  }

  async notes(): Promise<UsageNote[]> {
    return this.extraNotes;
  }
}
