// Temp dirs, recording scripts and waiting, for the notify and track tests.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `keel-${tag}-`));
  chmodSync(dir, 0o755);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An executable shell script (the script is sh; keel runs it as argv, never via sh -c). */
export function script(path: string, body: string, mode = 0o755): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** A script appending "NAME|arg1|arg2|...|" to `out`, one line per call. */
export function recorder(dir: string, name: string, out: string): string {
  return script(join(dir, name), `line=$(printf '%s|' "${name}" "$@")\nprintf '%s\\n' "$line" >> '${out}'`);
}

export async function waitFor<T>(what: string, get: () => T | undefined | false, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
