// The typed Config as JSON (`keel -t --dump-json`), keys as keepalived's canonical keywords.
import type { Config } from './types.js';

/** Positions are for diagnostics, not part of the configuration's meaning. */
const HIDDEN = new Set(['pos']);

export function configToJson(config: Config): string {
  return JSON.stringify(config, (k, v: unknown) => (HIDDEN.has(k) ? undefined : v), 2);
}
