// Network namespaces for tests: unique names, veth interfaces named as sample configs expect,
// always removed by the caller's after hook.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, input: opts.input ?? '' });
}

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

export class Netns {
  readonly name: string;
  private created = false;

  constructor(prefix: string) {
    this.name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  }

  /** Create the namespace with interfaces eth0..ethN-1 (veth pairs kept inside it), all up. */
  create(interfaces = 4): this {
    must('ip', ['netns', 'add', this.name]);
    this.created = true;
    must('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
    for (let i = 0; i < interfaces; i++) {
      must('ip', ['-n', this.name, 'link', 'add', `eth${i}`, 'type', 'veth', 'peer', 'name', `peer${i}`]);
      must('ip', ['-n', this.name, 'link', 'set', `eth${i}`, 'up']);
      must('ip', ['-n', this.name, 'link', 'set', `peer${i}`, 'up']);
    }
    return this;
  }

  exec(cmd: string, args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): SpawnSyncReturns<string> {
    return spawnSync('ip', ['netns', 'exec', this.name, cmd, ...args], {
      encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, cwd: opts.cwd, input: '',
    });
  }

  destroy(): void {
    if (this.created) {
      run('ip', ['netns', 'del', this.name]);
      this.created = false;
    }
  }
}
