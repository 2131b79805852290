// vrrp_instance and vrrp_sync_group.
import { blockLines, defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { parseAddressLine, type AddressEntry } from './addresses.js';

export interface VrrpInstance {
  name: string;
  state: 'MASTER' | 'BACKUP';
  interface?: string;
  virtual_router_id?: number;
  priority: number;
  advert_int: number;
  version: 2 | 3;
  nopreempt: boolean;
  authentication?: { auth_type: 'PASS' | 'AH'; auth_pass?: string };
  virtual_ipaddress: AddressEntry[];
  virtual_ipaddress_excluded: AddressEntry[];
  [key: string]: unknown;
}

export function newVrrpInstance(name: string): VrrpInstance {
  return {
    name, state: 'BACKUP', priority: 100, advert_int: 1, version: 2, nopreempt: false,
    virtual_ipaddress: [], virtual_ipaddress_excluded: [],
  };
}

export interface SyncGroup {
  name: string;
  group: string[];
  [key: string]: unknown;
}

type K = Keyword<VrrpInstance>;
const keywords: K[] = [
  { name: 'state', args: 'MASTER|BACKUP', handle: (v, a) => { const s = a.oneOf(1, ['MASTER', 'BACKUP'] as const); if (s) v.state = s; } },
  { name: 'interface', args: 'IFNAME', handle: (v, a) => { const s = a.str(); if (s !== undefined) v.interface = s; } },
  { name: 'virtual_router_id', args: '1..255', handle: (v, a) => { const n = a.int(1, 1, 255); if (n !== undefined) v.virtual_router_id = n; } },
  { name: 'priority', args: '1..255', handle: (v, a) => { const n = a.int(1, 1, 255); if (n !== undefined) v.priority = n; } },
  { name: 'advert_int', args: 'SECS', handle: (v, a) => { const n = a.timer(1, 0.01, 255); if (n !== undefined) v.advert_int = n; } },
  { name: 'nopreempt', handle: (v) => { v.nopreempt = true; } },
  {
    name: 'virtual_ipaddress', lines: true, handle: (v, a, ctx) => {
      for (const l of blockLines(a, ctx)) { const e = parseAddressLine(l, 'vip', ctx); if (e) v.virtual_ipaddress.push(e); }
    },
  },
];

export const vrrpInstanceBlock: BlockDef<VrrpInstance> = defineBlock('vrrp_instance', keywords);

const syncKeywords: Keyword<SyncGroup>[] = [
  { name: 'group', lines: true, handle: (g, a, ctx) => { for (const l of blockLines(a, ctx)) g.group.push(...l.rest(0)); } },
];
export const syncGroupBlock: BlockDef<SyncGroup> = defineBlock('vrrp_sync_group', syncKeywords);

export function validateVrrp(_config: Config, _ctx: BuildContext): void {}
void walkChild;
