// virtual_server, virtual_server_group, real_server.
import { defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { newChecker, checkerBlocks, type Checker } from './checkers.js';

export interface RealServer {
  ip: string;
  port: number;
  weight: number;
  checkers: Checker[];
  [key: string]: unknown;
}

export interface VirtualServer {
  ip?: string;
  port?: number;
  fwmark?: number;
  group?: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  lvs_sched: string;
  lvs_method: 'NAT' | 'DR' | 'TUN';
  persistence_timeout?: number;
  real_servers: RealServer[];
  [key: string]: unknown;
}

export interface VirtualServerGroup {
  name: string;
  [key: string]: unknown;
}

export function newVirtualServer(): VirtualServer {
  return { protocol: 'TCP', lvs_sched: 'wlc', lvs_method: 'NAT', real_servers: [] };
}

const rsKeywords: Keyword<RealServer>[] = [
  { name: 'weight', handle: (r, a) => { const n = a.int(1, -2147483648, 2147483647); if (n !== undefined) r.weight = n; } },
  ...Object.entries(checkerBlocks).map(([type, block]): Keyword<RealServer> => ({
    name: type, block: () => block as BlockDef<unknown>,
    handle: (r, a, ctx) => { r.checkers.push(walkChild(a, block, newChecker(type), ctx)); },
  })),
];
export const realServerBlock: BlockDef<RealServer> = defineBlock('real_server', rsKeywords);

const vsKeywords: Keyword<VirtualServer>[] = [
  { name: 'lvs_sched', handle: (v, a) => { const s = a.str(); if (s) v.lvs_sched = s; } },
  { name: 'lb_algo', aliasOf: 'lvs_sched', handle: () => {} },
  { name: 'lvs_method', handle: (v, a) => { const s = a.oneOf(1, ['NAT', 'DR', 'TUN'] as const); if (s) v.lvs_method = s; } },
  { name: 'lb_kind', aliasOf: 'lvs_method', handle: () => {} },
  {
    name: 'real_server', block: () => realServerBlock as BlockDef<unknown>, handle: (v, a, ctx) => {
      const ip = a.str() ?? '';
      const rs: RealServer = { ip, port: Number(a.word(2) ?? 0), weight: 1, checkers: [] };
      v.real_servers.push(walkChild(a, realServerBlock, rs, ctx));
    },
  },
];
export const virtualServerBlock: BlockDef<VirtualServer> = defineBlock('virtual_server', vsKeywords);
export const virtualServerGroupBlock: BlockDef<VirtualServerGroup> = defineBlock('virtual_server_group', []);

export function validateLvs(_config: Config, _ctx: BuildContext): void {}
