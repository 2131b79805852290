// Who a script runs as, as keepalived decides it at start-up: the script's own USER [GROUP], else
// global script_user, else keepalived_script when that user exists, else keel's own user (root).
// The config build already dropped scripts whose user cannot be resolved; this only turns names
// into ids for the runner.
import type { Config } from '../config/types.js';
import { lookupUser } from '../config/blocks/global.js';
import { resolveUser } from '../config/blocks/trackers.js';

export interface Account {
  uid: number;
  gid: number;
}

const own = (): Account => ({ uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 });

export function accountFor(config: Config, user?: string, group?: string): Account {
  if (user !== undefined) return resolveUser(user, group) ?? own();
  const su = config.global_defs.script_user;
  if (su) return resolveUser(su.user, su.group) ?? own();
  return lookupUser('keepalived_script') ?? own();
}
