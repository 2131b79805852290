// The typed Config: what a keepalived.conf means, with keepalived's defaults applied and
// cross-references resolved. Property names are keepalived's canonical keyword names, so
// `keel -t --dump-json` is this object as JSON.
import type { GlobalDefs } from './blocks/global.js';
import type { AddressEntry, RouteEntry, RuleEntry } from './blocks/addresses.js';
import type { VrrpInstance, SyncGroup } from './blocks/vrrp.js';
import type { VrrpScript, TrackProcess, TrackFile } from './blocks/trackers.js';
import type { VirtualServer, VirtualServerGroup } from './blocks/lvs.js';
import type { SslConfig } from './blocks/checkers.js';
import type { GarpGroup, TrackGroup, BfdInstance, RootExtras } from './blocks/misc.js';

export interface Config {
  global_defs: GlobalDefs;
  /** Root-level settings outside global_defs (net_namespace, instance, child_wait_time, ...). */
  root: RootExtras;
  static_ipaddress: AddressEntry[];
  static_routes: RouteEntry[];
  static_rules: RuleEntry[];
  vrrp_scripts: VrrpScript[];
  vrrp_track_processes: TrackProcess[];
  track_files: TrackFile[];
  vrrp_sync_groups: SyncGroup[];
  vrrp_instances: VrrpInstance[];
  garp_groups: GarpGroup[];
  track_groups: TrackGroup[];
  bfd_instances: BfdInstance[];
  ssl?: SslConfig;
  virtual_server_groups: VirtualServerGroup[];
  virtual_servers: VirtualServer[];
}
