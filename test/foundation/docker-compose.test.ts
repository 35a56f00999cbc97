import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Docker's daemon does not run on the build machines, so the compose file is checked by parsing it.
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { image?: string; command?: string[]; healthcheck?: { test: unknown }; volumes?: string[]; ports?: string[] }>;
    volumes: Record<string, unknown>;
  };

  it('runs redis, postgres and the app from official images, each with a healthcheck', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'redis']);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).toMatch(/^(redis|postgres|node):/);
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });

  it('configures redis the way BullMQ needs it: AOF on, noeviction', () => {
    const command = compose.services.redis?.command?.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('keeps every service data on a named volume', () => {
    for (const name of ['redis', 'postgres', 'app']) {
      const named = (compose.services[name]?.volumes ?? []).map((v) => v.split(':')[0]).filter((v) => v && !v.startsWith('.'));
      expect(named.length, name).toBeGreaterThan(0);
      for (const volume of named) expect(compose.volumes, `${name} uses ${volume}`).toHaveProperty(volume!);
    }
  });

  it('publishes every port on 127.0.0.1 only: the app runs with the demo credentials on', () => {
    const ports = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => `${name} ${port}`));
    expect(ports).toContain('app 127.0.0.1:8080:8080');
    expect(ports).toContain('app 127.0.0.1:2222:2222');
    for (const port of ports) expect(port).toMatch(/^\S+ 127\.0\.0\.1:\d+:\d+$/);
  });
});
