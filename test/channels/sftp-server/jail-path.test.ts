import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskPathInside, resolveJailPath } from '../../../src/channels/sftp-server/jail-path.ts';

describe('resolveJailPath', () => {
  it.each([
    ['', { kind: 'root', path: '/' }],
    ['.', { kind: 'root', path: '/' }],
    ['/', { kind: 'root', path: '/' }],
    ['inbound', { kind: 'folder', folder: 'inbound', path: '/inbound' }],
    ['/outbound/', { kind: 'folder', folder: 'outbound', path: '/outbound' }],
    ['//inbound/./a.csv', { kind: 'file', folder: 'inbound', name: 'a.csv', path: '/inbound/a.csv' }],
    ['/inbound/../outbound/r.csv', { kind: 'file', folder: 'outbound', name: 'r.csv', path: '/outbound/r.csv' }],
    ['/inbound2/a.csv', { kind: 'nowhere', path: '/inbound2/a.csv' }],
    ['/inbound/a/b.csv', { kind: 'nowhere', path: '/inbound/a/b.csv' }],
    ['/etc/passwd', { kind: 'nowhere', path: '/etc/passwd' }],
  ])('%j is %j', (raw, expected) => {
    expect(resolveJailPath(raw)).toEqual(expected);
  });

  it.each([
    ['..', 'outside-jail'],
    ['/..', 'outside-jail'],
    ['/inbound/../..', 'outside-jail'],
    ['/outbound/../../acme2/outbound/x', 'outside-jail'],
    ['/inbound/a\u0000b', 'invalid-name'],
    ['/inbound/..\\..\\x', 'invalid-name'],
    ['/inbound/a\nb', 'invalid-name'],
    [`/inbound/${'x'.repeat(256)}`, 'invalid-name'],
  ])('refuses %j (%s)', (raw, reason) => {
    expect(resolveJailPath(raw)).toMatchObject({ kind: 'refused', reason });
  });
});

describe('diskPathInside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jail-'));
  const acme = join(dir, 'acme');

  it('admits a plain name directly inside the folder', () => {
    expect(diskPathInside(acme, 'r.csv')).toBe(join(acme, 'r.csv'));
  });

  it.each(['../acme2/r.csv', '..', '.', '', 'a/b.csv', '/etc/passwd'])('refuses %j (the sibling-prefix acme2 included)', (name) => {
    expect(diskPathInside(acme, name)).toBeUndefined();
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
