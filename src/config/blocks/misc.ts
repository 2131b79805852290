// Root-level settings outside global_defs, garp_group, track_group, bfd_instance, linkbeat_interfaces,
// interface_up_down_delays.
import { defineBlock, type BlockDef } from '../schema.js';

export interface RootExtras {
  net_namespace?: string;
  instance?: string;
  [key: string]: unknown;
}

export interface GarpGroup {
  [key: string]: unknown;
}

export interface TrackGroup {
  name: string;
  group: string[];
}

export interface BfdInstance {
  name: string;
  [key: string]: unknown;
}

export const garpGroupBlock: BlockDef<GarpGroup> = defineBlock('garp_group', []);
export const bfdInstanceBlock: BlockDef<BfdInstance> = defineBlock('bfd_instance', []);
