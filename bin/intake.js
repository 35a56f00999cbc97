#!/usr/bin/env node
// The `intake` command runs the TypeScript sources in-process through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
