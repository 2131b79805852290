// use_vmac: the macvlan's name and MAC as keepalived 2.2.7 chooses them (vrrp.c create_vmac_name,
// vrrp_vmac.c): NAME as configured, else PREFIX.VRID (vmac_prefix, default "vrrp"); when that
// name is taken by another instance, PREFIXN.VRID with N = 1, 2, ... (IPv6 tries 6 first).
// The MAC is 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6) unless configured.
import type { VrrpInstance } from '../config/blocks/vrrp.js';
import type { Config } from '../config/types.js';

const IFNAMSIZ = 16;

function fit(prefix: string, suffix: string): string {
  const room = IFNAMSIZ - 1 - suffix.length;
  return `${prefix.slice(0, Math.max(0, room))}${suffix}`;
}

export function vmacMac(v: VrrpInstance): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  const vrid = v.virtual_router_id ?? 0;
  const given = v.use_vmac?.mac;
  if (given) {
    const parts = given.split(':');
    return (parts.length === 5 ? [...parts, hex(vrid)] : parts).map((p) => p.toLowerCase().padStart(2, '0')).join(':');
  }
  return `00:00:5e:00:${v.family === 'inet6' ? '02' : '01'}:${hex(vrid)}`;
}

/** Every use_vmac instance's interface name, resolving clashes in configuration order. */
export function vmacNames(config: Pick<Config, 'vrrp_instances' | 'global_defs'>): Map<string, string> {
  const prefix = config.global_defs.vmac_prefix ?? 'vrrp';
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const v of config.vrrp_instances) if (v.use_vmac?.interface) taken.add(v.use_vmac.interface);
  for (const v of config.vrrp_instances) {
    if (!v.use_vmac) continue;
    if (v.use_vmac.interface) {
      out.set(v.name, v.use_vmac.interface);
      continue;
    }
    const vrid = v.virtual_router_id ?? 0;
    let name = fit(prefix, `.${vrid}`);
    let num = 0;
    while (taken.has(name)) {
      if (v.family === 'inet6') num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
      else num++;
      name = fit(prefix, `${num}.${vrid}`);
    }
    taken.add(name);
    out.set(v.name, name);
  }
  return out;
}
