import type { SftpBanPolicy } from './sftp-server-options.ts';

interface Score {
  /** Times of the failures still inside the window, oldest first. */
  failures: number[];
  bannedUntil: number;
}

/** What a failure changed: set when this failure started a ban. */
export interface FailureOutcome {
  addressBannedUntil?: number;
  accountBannedUntil?: number;
}

/**
 * Failed logins scored per source address and per username, with bans that expire. Usernames are scored whether
 * or not the account exists, so a ban says nothing about which accounts are real. Memory is bounded: entries
 * whose failures and ban have expired are pruned, and past `maxEntries` the oldest entries go first (an attacker
 * rotating addresses cannot grow the table without limit).
 */
export class LoginBanList {
  private readonly addresses = new Map<string, Score>();
  private readonly accounts = new Map<string, Score>();

  constructor(
    private readonly policy: SftpBanPolicy,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  /** Epoch ms the address is banned until, or undefined. */
  addressBannedUntil(address: string): number | undefined {
    return this.bannedUntil(this.addresses, address);
  }

  /** Epoch ms password logins to the username are banned until, or undefined. */
  accountBannedUntil(username: string): number | undefined {
    return this.bannedUntil(this.accounts, accountKey(username));
  }

  /** Scores a failed login; without a username only the address is scored. */
  recordFailure(address: string, username?: string): FailureOutcome {
    const outcome: FailureOutcome = {};
    if (!this.policy.neverBan.includes(address)) {
      const until = this.score(this.addresses, address, this.policy.maxFailuresPerAddress);
      if (until !== undefined) outcome.addressBannedUntil = until;
    }
    if (username !== undefined) {
      const until = this.score(this.accounts, accountKey(username), this.policy.maxFailuresPerAccount);
      if (until !== undefined) outcome.accountBannedUntil = until;
    }
    return outcome;
  }

  /** Drops expired entries; the server calls it on a timer. */
  prune(): void {
    const now = this.now();
    for (const table of [this.addresses, this.accounts]) {
      for (const [key, score] of table) {
        trim(score, now - this.policy.windowMs);
        if (score.failures.length === 0 && score.bannedUntil <= now) table.delete(key);
      }
    }
  }

  get size(): number {
    return this.addresses.size + this.accounts.size;
  }

  private bannedUntil(table: Map<string, Score>, key: string): number | undefined {
    const score = table.get(key);
    return score && score.bannedUntil > this.now() ? score.bannedUntil : undefined;
  }

  private score(table: Map<string, Score>, key: string, limit: number): number | undefined {
    const now = this.now();
    let score = table.get(key);
    if (!score) {
      if (table.size >= this.maxEntries) this.evictOldest(table);
      score = { failures: [], bannedUntil: 0 };
      table.set(key, score);
    }
    trim(score, now - this.policy.windowMs);
    score.failures.push(now);
    if (score.failures.length >= limit && score.bannedUntil <= now) {
      score.bannedUntil = now + this.policy.banMs;
      // A ban served starts a fresh count: otherwise one failure after expiry would ban again at once.
      score.failures = [];
      return score.bannedUntil;
    }
    return undefined;
  }

  private evictOldest(table: Map<string, Score>): void {
    this.prune();
    // Maps iterate in insertion order: the first keys are the oldest.
    for (const key of table.keys()) {
      if (table.size < this.maxEntries) break;
      table.delete(key);
    }
  }
}

function trim(score: Score, since: number): void {
  let drop = 0;
  while (drop < score.failures.length && score.failures[drop]! <= since) drop++;
  if (drop > 0) score.failures.splice(0, drop);
}

/** Usernames arrive from anyone: bound their length so the table's keys stay small. */
function accountKey(username: string): string {
  return username.toLowerCase().slice(0, 128);
}
