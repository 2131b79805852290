// global_defs startup_script / shutdown_script, run by the parent process as keepalived's main.c
// does: the startup script before VRRP and the checkers start, the shutdown script after they have
// stopped, each waited for up to its timeout (default 10 s), then SIGTERM and SIGKILL 2 s later.
// The daemon goes on whatever the script did.
import type { Config } from '../config/types.js';
import type { Logger } from '../daemon/log.js';
import { accountFor } from './identity.js';
import { ScriptRunner, type RunResult } from './runner.js';

export async function runLifecycleScript(kind: 'startup' | 'shutdown', config: Config, log: Logger, runner = new ScriptRunner(log)): Promise<RunResult | undefined> {
  const g = config.global_defs;
  const spec = kind === 'startup' ? g.startup_script : g.shutdown_script;
  if (!spec) return undefined;
  const timeout = (kind === 'startup' ? g.startup_script_timeout : g.shutdown_script_timeout) ?? 10;
  const type = `${kind} script`;
  log.detail(`Running ${type} ${spec.argv[0]}`);
  const a = accountFor(config, spec.user, spec.group);
  const r = await runner.run(spec.argv, { uid: a.uid, gid: a.gid, timeoutMs: timeout * 1000, killAfterMs: 2000 });
  // keepalived's wording, its doubled "script" included, for operators' greps.
  if (r.kind === 'exited') {
    if (r.code) log.info(`${type} script failed, status ${r.code}`);
    else log.detail(`${type} script succeeded`);
  } else if (r.kind === 'signaled' && r.timedOut) log.info(`${type} timed out`);
  else if (r.kind === 'error') log.info(`Call of ${type} ${spec.argv[0]} failed`);
  return r;
}
