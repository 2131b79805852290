// SIGUSR1's data dump and SIGUSR2's stats dump, in the layout of keepalived's /tmp/keepalived.data
// and /tmp/keepalived.stats (the parts keel has: global identity, each instance's live state, and
// the advert counters).
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/types.js';
import type { VrrpEngine } from '../vrrp/engine.js';

/** keepalived writes its dumps in $TMPDIR (when absolute) or /tmp. */
export function dumpPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.TMPDIR && isAbsolute(env.TMPDIR) ? env.TMPDIR : '/tmp';
  return join(dir, name);
}

const STATE_NUMBER: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3 };
const AUTH_NUMBER: Record<string, number> = { PASS: 1, AH: 2 };

/**
 * keepalived's /tmp/keepalived.json (its SIGJSON dump): one object per instance with `data` and
 * `stats`, keepalived's field names, for the fields keel keeps. Written with the stats dump on
 * SIGUSR2: Node cannot catch keepalived's real-time SIGJSON.
 */
export function formatJsonDump(config: Config, engine: VrrpEngine | undefined): string {
  const byName = new Map(config.vrrp_instances.map((v) => [v.name, v]));
  const out = (engine?.instances ?? []).map((s) => {
    const p = s.params;
    const c = byName.get(p.name);
    const t = engine?.lastTransition.get(p.name);
    const st = s.stats;
    return {
      data: {
        iname: p.name,
        ifp_ifname: p.interface ?? '',
        ...(c?.use_vmac ? { vmac_ifname: typeof c.use_vmac === 'string' ? c.use_vmac : '' } : {}),
        skip_check_adv_addr: p.skipCheckAdvAddr ? 1 : 0,
        master_priority: s.masterPriority ?? 0,
        last_transition: t ? t.at / 1000 : 0,
        garp_delay: p.garpMasterDelayUs / 1e6,
        garp_refresh: p.garpMasterRefreshUs / 1e6,
        garp_rep: p.garpMasterRepeat,
        garp_refresh_rep: p.garpMasterRefreshRepeat,
        garp_lower_prio_delay: p.garpLowerPrioDelayUs / 1e6,
        garp_lower_prio_rep: p.garpLowerPrioRepeat,
        lower_prio_no_advert: p.lowerPrioNoAdvert ? 1 : 0,
        higher_prio_send_advert: p.higherPrioSendAdvert ? 1 : 0,
        vrid: p.vrid,
        base_priority: s.basePriority,
        effective_priority: s.effectivePriority,
        vipset: s.state === 'MASTER',
        adver_int: p.advertIntUs / 1e6,
        nopreempt: p.nopreempt,
        preempt_delay: p.preemptDelayUs / 1e6,
        state: STATE_NUMBER[s.state] ?? 0,
        wantstate: STATE_NUMBER[String(s.wantState)] ?? 0,
        version: p.version,
        auth_type: c?.authentication ? AUTH_NUMBER[c.authentication.auth_type] ?? 0 : 0,
      },
      stats: {
        advert_rcvd: st.advertRcvd,
        advert_sent: st.advertSent,
        become_master: st.becomeMaster,
        release_master: st.releaseMaster,
        advert_interval_err: st.advertIntervalErr,
        addr_list_err: st.addrListErr,
        pri_zero_rcvd: st.priZeroRcvd,
        pri_zero_sent: st.priZeroSent,
      },
    };
  });
  return JSON.stringify(out, null, 2) + '\n';
}

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
