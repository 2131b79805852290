// What the machine offers the tests: root, network namespaces, keepalived, ../shared.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared');
export const KEEL = join(ROOT, 'bin', 'keel');

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why a test needing root and `ip netns` cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (!isRoot()) return 'needs root (network namespaces)';
  if (!which('ip')) return 'needs iproute2 (ip)';
  return undefined;
}

export function keepalivedUnavailable(): string | undefined {
  return which('keepalived') ? undefined : 'needs keepalived 2.2.7 (apt-get install keepalived)';
}

export function sharedUnavailable(): string | undefined {
  return existsSync(SHARED) ? undefined : `needs ../shared beside the checkout (${SHARED} is absent)`;
}
