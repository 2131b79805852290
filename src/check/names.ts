// How keepalived names services, real servers and checks in its log lines (format_vs, format_rs,
// FMT_CHK), so operators' greps keep working. Pure.
import { trio } from '../config/blocks/checkers.js';
import type { RealServer, VirtualServer } from '../config/blocks/lvs.js';

/** "[10.0.0.1]:tcp:80", "FWM 5", or "[group]:0" for a virtual_server_group service. */
export function fmtVs(vs: VirtualServer): string {
  if (vs.group !== undefined) return `[${vs.group}]:0`;
  if (vs.fwmark) return `FWM ${vs.fwmark}`;
  return trio(vs.ip ?? '0.0.0.0', vs.protocol, vs.port ?? 0);
}

/** "[192.168.1.2]:tcp:80": the real server with its service's protocol. */
export function fmtRs(vs: VirtualServer, rs: { ip: string; port: number }): string {
  return trio(rs.ip, vs.protocol, rs.port);
}

/** A stable identity for a virtual server across reloads. */
export function vsKey(vs: VirtualServer): string {
  if (vs.group !== undefined) return `group:${vs.group}:${vs.protocol ?? ''}`;
  if (vs.fwmark) return `fwmark:${vs.fwmark}:${vs.ip_family ?? 'inet'}`;
  return `addr:${vs.protocol ?? ''}:${vs.ip}:${vs.port ?? 0}`;
}

export function rsKey(vs: VirtualServer, rs: RealServer): string {
  return `${vsKey(vs)}|${rs.ip}|${rs.port}`;
}
