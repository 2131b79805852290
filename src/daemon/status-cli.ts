// `keel status [--json] [--control PATH]`: a running daemon's live state.
import { DEFAULT_CONTROL, requestStatus, type DaemonStatus } from './control.js';

const USAGE = 'usage: keel status [--json] [--control PATH]';

export async function runStatus(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let json = false;
  let path = DEFAULT_CONTROL;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--control') {
      const p = argv[++i];
      if (!p) {
        err(`keel status: --control needs a path\n${USAGE}\n`);
        return 1;
      }
      path = p;
    } else if (a.startsWith('--control=')) path = a.slice('--control='.length);
    else if (a === '-h' || a === '--help') {
      out(USAGE + '\n');
      return 0;
    } else {
      err(`keel status: unknown argument '${a}'\n${USAGE}\n`);
      return 1;
    }
  }
  let s: DaemonStatus;
  try {
    s = await requestStatus(path);
  } catch (e) {
    err(`keel status: ${(e as Error).message}\n`);
    return 1;
  }
  out(json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
  return 0;
}

export function formatStatus(s: DaemonStatus): string {
  const lines = [`keel pid ${s.pid}, ${s.version}, config ${s.config}, up since ${s.startedAt}`];
  for (const p of s.processes ?? []) {
    lines.push(`  ${p.role === 'vrrp' ? 'VRRP' : 'checker'} process pid ${p.pid}, since ${p.startedAt}${p.restarts ? `, respawned ${p.restarts} time${p.restarts === 1 ? '' : 's'}` : ''}`);
  }
  for (const e of s.errors ?? []) lines.push(`  not answering: ${e}`);
  lines.push('');
  if (!s.instances.length) lines.push('No VRRP instances.');
  const rows = s.instances.map((i) => [
    i.name, i.state, `${i.interface ?? '-'}/${i.vrid}`, `${i.effectivePriority}${i.effectivePriority !== i.priority ? ` (base ${i.priority})` : ''}`,
    i.master ? `${i.master.address}${i.master.priority !== undefined ? ` prio ${i.master.priority}` : ''}` : '-',
    i.lastTransition ? `${i.lastTransition.from}->${i.lastTransition.to} at ${i.lastTransition.at} (${i.lastTransition.cause})` : '-',
  ]);
  if (rows.length) {
    const head = ['INSTANCE', 'STATE', 'IF/VRID', 'PRIORITY', 'MASTER', 'LAST TRANSITION'];
    const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    for (const r of [head, ...rows]) lines.push(r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(w[c]!))).join('  ').trimEnd());
    for (const i of s.instances) {
      const t = Object.entries(i.trackers);
      if (t.length) lines.push(`  ${i.name} trackers: ${t.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
    }
  }
  const vss = (s.virtualServers ?? []) as VsView[];
  if (vss.length) {
    lines.push('', `Virtual servers${s.ipvs?.dryRun ? ' (IPVS dry run: the kernel is not touched)' : ''}:`);
    for (const v of vss) {
      lines.push(`  ${v.vs}  quorum ${v.quorumUp ? 'up' : 'DOWN'} (live weight ${v.liveWeight}, need ${v.quorum})${v.sorryActive ? ', sorry server active' : ''}`);
      for (const r of v.realServers) {
        const last = r.checkers.find((c) => !c.up && c.last)?.last ?? r.checkers.find((c) => c.last)?.last;
        lines.push(`    ${r.rs.padEnd(24)} ${r.alive ? 'UP  ' : 'DOWN'} weight ${r.weight}` +
          `${r.checkers.length ? `  ${r.checkers.map((c) => `${c.type}:${c.up ? 'ok' : 'fail'}`).join(' ')}` : ''}${last ? `  last: ${last}` : ''}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

interface VsView {
  vs: string;
  quorumUp: boolean;
  sorryActive: boolean;
  liveWeight: number;
  quorum: number;
  realServers: { rs: string; alive: boolean; weight: number; checkers: { type: string; up: boolean; last?: string }[] }[];
}
