// Shared assertions for the config tests: what failed, and whether a given problem was reported.
import assert from 'node:assert/strict';
import type { LoadResult } from '../../src/config/build.js';
import type { Severity } from '../../src/config/diagnostics.js';

/** The problems that make `keel -t` fail, as "LINE: severity: message". */
export function failing(r: LoadResult): string[] {
  return r.diagnostics.list.filter((d) => d.severity === 'error' || d.severity === 'warning' || d.severity === 'security')
    .map((d) => `${d.pos?.line}: ${d.severity}: ${d.message}`);
}

/** A diagnostic of this severity containing `text` (on `line` when given) was reported. */
export function expectDiag(r: LoadResult, severity: Severity, text: string, line?: number): void {
  const found = r.diagnostics.list.some((d) => d.severity === severity && d.message.includes(text) && (line === undefined || d.pos?.line === line));
  assert.ok(found, `expected ${severity} containing "${text}"${line ? ` on line ${line}` : ''}; got:\n${r.diagnostics.list.map((d) => `${d.pos?.line}: ${d.severity}: ${d.message}`).join('\n')}`);
}

/** Nothing that would fail `keel -t`. */
export function expectClean(r: LoadResult): void {
  assert.deepEqual(failing(r), []);
}
