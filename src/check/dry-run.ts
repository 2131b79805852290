// --ipvs-dry-run: the computed IPVS table (ipvsadm -Ln style) and every checker's state as text,
// for hosts without ip_vs and to preview a config. Pure.
import type { IpvsTable } from '../ipvs/table.js';
import type { EngineSnapshot } from './engine.js';

const FWD: Record<string, string> = { NAT: 'Masq', DR: 'Route', TUN: 'Tunnel' };

function addr(family: string, a: string, port: number): string {
  return family === 'inet6' ? `[${a}]:${port}` : `${a}:${port}`;
}

export function renderTable(t: IpvsTable): string {
  const out = ['Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];
  for (const s of t.services) {
    const k = s.key;
    const head = k.kind === 'fwmark' ? `FWM  ${k.fwmark}${k.family === 'inet6' ? ' IPv6' : ''}` : `${k.protocol.padEnd(4)} ${addr(k.family, k.address, k.port)}`;
    const flags = s.timeout ? ` persistent ${s.timeout}` : '';
    out.push(`${head} ${s.scheduler}${flags}`);
    for (const d of s.dests) out.push(`  -> ${addr(d.family, d.address, d.port).padEnd(28)} ${(FWD[d.method] ?? d.method).padEnd(7)} ${String(d.weight).padEnd(6)} 0          0`);
  }
  return out.join('\n');
}

export function renderCheckers(s: EngineSnapshot): string {
  const out: string[] = [];
  for (const vs of s.virtualServers) {
    out.push(`VS ${vs.vs}: quorum ${vs.quorumUp ? 'up' : 'down'} (live weight ${vs.liveWeight}, quorum ${vs.quorum}, hysteresis ${vs.hysteresis})${vs.sorryActive ? ', sorry server active' : ''}`);
    for (const rs of vs.realServers) {
      out.push(`  RS ${rs.rs}: ${rs.alive ? 'up' : 'down'}, weight ${rs.weight}, failed checkers ${rs.failedCheckers}`);
      for (const c of rs.checkers) {
        const state = !c.hasRun ? (c.up ? 'not run yet (assumed up)' : 'not run yet (alpha: down)') : c.up ? 'up' : 'down';
        out.push(`    ${c.type} ${c.target}: ${state}, ${c.attempts} attempts, ${c.failures} failures${c.last ? `, last: ${c.last}` : ''}`);
      }
    }
  }
  return out.join('\n');
}

/** The whole dry-run report. */
export function renderDryRun(s: EngineSnapshot): string {
  return `IP Virtual Server table computed by keel (--ipvs-dry-run: not programmed)\n${renderTable(s.table)}\n\nCheckers (${s.attempts} attempts, ${s.failures} failures):\n${renderCheckers(s)}\n`;
}
