// SIGUSR1's data dump and SIGUSR2's stats dump, in the layout of keepalived's /tmp/keepalived.data
// and /tmp/keepalived.stats (the parts keel has: global identity, each instance's live state, and
// the advert counters).
import type { Config } from '../config/types.js';
import type { VrrpEngine } from '../vrrp/engine.js';

export function formatDataDump(config: Config, engine: VrrpEngine | undefined): string {
  const out: string[] = ['------< Global definitions >------'];
  const g = config.global_defs;
  if (g.router_id) out.push(` Router ID = ${g.router_id}`);
  out.push('------< VRRP Topology >------');
  for (const s of engine?.instances ?? []) {
    const p = s.params;
    const t = engine?.lastTransition.get(p.name);
    out.push(` VRRP Instance = ${p.name}`);
    out.push(`   State = ${s.state}`);
    if (t) out.push(`   Last transition = ${new Date(t.at).toISOString()} ${t.from} -> ${t.to} (${t.cause})`);
    out.push(`   Interface = ${p.interface ?? ''}`);
    out.push(`   Virtual Router ID = ${p.vrid}`);
    out.push(`   Priority = ${p.priority}`);
    out.push(`   Effective priority = ${s.effectivePriority}`);
    out.push(`   Advert interval = ${p.advertIntUs / 1000}ms`);
    if (s.masterAddr) out.push(`   Master router = ${s.masterAddr}`);
    if (s.masterPriority !== undefined) out.push(`   Master priority = ${s.masterPriority}`);
    out.push(`   Using src_ip = ${p.srcAddress ?? '(none)'}`);
    out.push(`   Virtual IP (${p.vips.length}):`);
    for (const v of p.vips) out.push(`     ${v}`);
  }
  return out.join('\n') + '\n';
}

export function formatStatsDump(engine: VrrpEngine | undefined): string {
  const out: string[] = [];
  for (const s of engine?.instances ?? []) {
    const st = s.stats;
    out.push(
      `VRRP Instance: ${s.params.name}`,
      '  Advertisements:',
      `    Received: ${st.advertRcvd}`,
      `    Sent: ${st.advertSent}`,
      `  Became master: ${st.becomeMaster}`,
      `  Released master: ${st.releaseMaster}`,
      '  Packet Errors:',
      `    Advertisement Interval: ${st.advertIntervalErr}`,
      `    Address List: ${st.addrListErr}`,
      `    Version: ${st.versionErr}`,
      '  Priority Zero:',
      `    Received: ${st.priZeroRcvd}`,
      `    Sent: ${st.priZeroSent}`,
    );
  }
  if (engine) {
    const c = engine.counters;
    out.push('Packets:', `  Received: ${c.received}`, `  Sent: ${c.sent}`, `  Send errors: ${c.sendErrors}`, '  Dropped:');
    for (const [reason, n] of Object.entries(c.dropped)) out.push(`    ${reason}: ${n}`);
  }
  return out.join('\n') + '\n';
}
