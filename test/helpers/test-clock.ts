/**
 * A clock a test can stop at a chosen instant and release again: passed as a server's `now`, it lets a test
 * see what a page shows at a time of its choosing (a month's first hour, say) whenever the suite runs.
 */
export interface TestClock {
  now: () => Date;
  /** From now on `now()` answers `at`, until release(). */
  pin(at: Date): void;
  release(): void;
}

export function testClock(): TestClock {
  let pinned: Date | undefined;
  return {
    now: () => (pinned ? new Date(pinned) : new Date()),
    pin(at) {
      pinned = new Date(at);
    },
    release() {
      pinned = undefined;
    },
  };
}
