import { describe, expect, it } from 'vitest';
import { LoginBanList } from '../../../src/channels/sftp-server/login-ban-list.ts';
import { SftpBanPolicySchema } from '../../../src/channels/sftp-server/sftp-server-options.ts';

const policy = SftpBanPolicySchema.parse({ maxFailuresPerAddress: 3, maxFailuresPerAccount: 5, windowMs: 1000, banMs: 5000, neverBan: ['10.0.0.9'] });

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LoginBanList', () => {
  it('bans an address at its limit within the window, until the ban expires', () => {
    const c = clock();
    const bans = new LoginBanList(policy, c.now);
    bans.recordFailure('1.2.3.4', 'a');
    bans.recordFailure('1.2.3.4', 'b');
    expect(bans.addressBannedUntil('1.2.3.4')).toBeUndefined();
    expect(bans.recordFailure('1.2.3.4', 'c').addressBannedUntil).toBe(c.now() + 5000);
    expect(bans.addressBannedUntil('1.2.3.4')).toBeDefined();
    expect(bans.addressBannedUntil('1.2.3.5')).toBeUndefined();
    c.advance(5001);
    expect(bans.addressBannedUntil('1.2.3.4')).toBeUndefined();
  });

  it('forgets failures older than the window', () => {
    const c = clock();
    const bans = new LoginBanList(policy, c.now);
    bans.recordFailure('1.2.3.4', 'a');
    bans.recordFailure('1.2.3.4', 'a');
    c.advance(1500);
    bans.recordFailure('1.2.3.4', 'a');
    expect(bans.addressBannedUntil('1.2.3.4')).toBeUndefined();
  });

  it('bans a username attacked from many addresses, known or not, case-insensitively', () => {
    const bans = new LoginBanList(policy, clock().now);
    for (let i = 0; i < 5; i++) bans.recordFailure(`10.1.0.${i}`, i % 2 ? 'ACME' : 'acme');
    expect(bans.accountBannedUntil('acme')).toBeDefined();
    expect(bans.accountBannedUntil('acme2')).toBeUndefined();
  });

  it('never bans an address on the neverBan list', () => {
    const bans = new LoginBanList(policy, clock().now);
    for (let i = 0; i < 10; i++) bans.recordFailure('10.0.0.9', `u${i}`);
    expect(bans.addressBannedUntil('10.0.0.9')).toBeUndefined();
  });

  it('stays bounded when an attacker rotates addresses, and prunes what expired', () => {
    const c = clock();
    const bans = new LoginBanList(policy, c.now, 100);
    for (let i = 0; i < 1000; i++) bans.recordFailure(`10.2.${i >> 8}.${i & 255}`);
    expect(bans.size).toBeLessThanOrEqual(100);
    c.advance(10_000);
    bans.prune();
    expect(bans.size).toBe(0);
  });
});
