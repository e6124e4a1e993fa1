import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

// Wrong logins (and e-mailed-link requests) are counted per e-mail address and per client address over
// LOGIN_WINDOW_MINUTES. Once either count is used up the next attempt is refused with 429 and Retry-After
// before the password is even checked, so a password cannot be guessed at speed, whether one account is
// tried from many addresses or many accounts from one. A right password clears its e-mail's count (a
// person who mistyped twice is not punished later); the address's count stays, as one address trying many
// accounts is the other attack. Counts live in the process, like the API's secret limiter.

export interface LoginVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

export class LoginLimiter {
  private readonly perEmail: RateLimiterMemory;
  private readonly perIp: RateLimiterMemory;

  constructor(settings: { perEmail: number; perIp: number; windowMinutes: number }) {
    const duration = settings.windowMinutes * 60;
    this.perEmail = new RateLimiterMemory({ keyPrefix: "login-email", points: settings.perEmail, duration });
    this.perIp = new RateLimiterMemory({ keyPrefix: "login-ip", points: settings.perIp, duration });
  }

  /** Whether an attempt for this e-mail from this address may be checked now. */
  async check(email: string, ip: string): Promise<LoginVerdict> {
    const [byEmail, byIp] = await Promise.all([this.perEmail.get(email.toLowerCase()), this.perIp.get(ip)]);
    const blocked = [
      byEmail && byEmail.consumedPoints >= this.perEmail.points ? byEmail.msBeforeNext : 0,
      byIp && byIp.consumedPoints >= this.perIp.points ? byIp.msBeforeNext : 0,
    ];
    const ms = Math.max(...blocked);
    return { allowed: ms <= 0, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
  }

  /** Counts a failed attempt (or a sent link) against the e-mail and the address. */
  async fail(email: string, ip: string): Promise<void> {
    await Promise.all([
      this.perEmail.consume(email.toLowerCase()).catch(ignoreExhausted),
      this.perIp.consume(ip).catch(ignoreExhausted),
    ]);
  }

  async succeed(email: string): Promise<void> {
    await this.perEmail.delete(email.toLowerCase());
  }
}

function ignoreExhausted(error: unknown): void {
  if (!(error instanceof RateLimiterRes)) throw error;
}
