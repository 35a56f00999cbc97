import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Every package installed under node_modules (nested ones too), with the Node versions it declares. */
function installedEngines(dir: string, found: { name: string; node: string }[] = []): { name: string; node: string }[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      installedEngines(path, found);
      continue;
    }
    const manifest = join(path, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string; engines?: { node?: unknown } };
      if (typeof pkg.engines?.node === 'string') found.push({ name: `${pkg.name}@${pkg.version}`, node: pkg.engines.node });
    }
    if (existsSync(join(path, 'node_modules'))) installedEngines(join(path, 'node_modules'), found);
  }
  return found;
}

it("every installed package accepts the Node this project runs on (package.json engines), transitive ones too", () => {
  const wanted = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const oldest = semver.minVersion(wanted)!.version;
  const refusing = installedEngines(join(root, 'node_modules'))
    .filter((pkg) => !semver.satisfies(process.version, pkg.node) || !semver.satisfies(oldest, pkg.node))
    .map((pkg) => `${pkg.name} wants node ${pkg.node}`);
  // A transitive dependency that moved to a newer Node is pinned back in package.json "overrides".
  expect(refusing).toEqual([]);
});
