// The top level of keepalived.conf.
import { blockLines, defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { globalDefsBlock } from './global.js';
import { parseAddressLine, parseRouteLine, parseRuleLine } from './addresses.js';
import { newVrrpInstance, vrrpInstanceBlock, syncGroupBlock } from './vrrp.js';
import { newVrrpScript, vrrpScriptBlock, trackProcessBlock, trackFileBlock } from './trackers.js';
import { newVirtualServer, virtualServerBlock, virtualServerGroupBlock } from './lvs.js';
import { sslBlock } from './checkers.js';
import { garpGroupBlock, bfdInstanceBlock } from './misc.js';

type K = Keyword<Config>;

/** A named block (`vrrp_instance NAME {`): the name, or an error naming the keyword. */
function blockName(a: import('../args.js').Args): string {
  const n = a.word(1);
  if (n === undefined) {
    a.error(`${a.keyword} block has no name`);
    return '';
  }
  return n;
}

/** Report a second definition of the same name as keepalived does. */
function duplicate(list: { name: string }[], name: string, what: string, a: import('../args.js').Args): boolean {
  if (list.some((x) => x.name === name)) {
    a.error(`${what} ${name} already defined`);
    return true;
  }
  return false;
}

const keywords: K[] = [
  { name: 'global_defs', block: () => globalDefsBlock as BlockDef<unknown>, handle: (c, a, ctx) => { walkChild(a, globalDefsBlock, c.global_defs, ctx); } },
  {
    name: 'static_ipaddress', lines: true, doc: 'Addresses configured at start-up, whatever the VRRP state',
    handle: (c, a, ctx) => { for (const l of blockLines(a, ctx)) { const e = parseAddressLine(l, 'static', ctx); if (e) c.static_ipaddress.push(e); } },
  },
  {
    name: 'static_routes', lines: true, doc: 'Routes configured at start-up',
    handle: (c, a, ctx) => { for (const l of blockLines(a, ctx)) { const e = parseRouteLine(l, 'static', ctx); if (e) c.static_routes.push(e); } },
  },
  {
    name: 'static_rules', lines: true, doc: 'Policy-routing rules configured at start-up',
    handle: (c, a, ctx) => { for (const l of blockLines(a, ctx)) { const e = parseRuleLine(l, 'static', ctx); if (e) c.static_rules.push(e); } },
  },
  {
    name: 'vrrp_script', args: 'NAME', block: () => vrrpScriptBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const name = blockName(a);
      const s = walkChild(a, vrrpScriptBlock, newVrrpScript(name), ctx);
      s.pos = a.pos;
      if (!duplicate(c.vrrp_scripts, name, 'vrrp_script', a)) c.vrrp_scripts.push(s);
    },
  },
  {
    name: 'vrrp_track_process', args: 'NAME', block: () => trackProcessBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const name = blockName(a);
      const t = walkChild(a, trackProcessBlock, { name, pos: a.pos } as import('./trackers.js').TrackProcess, ctx);
      if (!duplicate(c.vrrp_track_processes, name, 'vrrp_track_process', a)) c.vrrp_track_processes.push(t);
    },
  },
  {
    name: 'track_file', args: 'NAME', block: () => trackFileBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const name = blockName(a);
      const t = walkChild(a, trackFileBlock, { name, weight: 1, weight_reverse: false, pos: a.pos } as import('./trackers.js').TrackFile, ctx);
      if (!duplicate(c.track_files, name, 'track_file', a)) c.track_files.push(t);
    },
  },
  { name: 'vrrp_track_file', aliasOf: 'track_file', deprecated: undefined, handle: () => {} },
  {
    name: 'vrrp_sync_group', args: 'NAME', block: () => syncGroupBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const name = blockName(a);
      const g = walkChild(a, syncGroupBlock, { name, group: [], pos: a.pos } as import('./vrrp.js').SyncGroup, ctx);
      if (!duplicate(c.vrrp_sync_groups, name, 'vrrp_sync_group', a)) c.vrrp_sync_groups.push(g);
    },
  },
  {
    name: 'vrrp_instance', args: 'NAME', block: () => vrrpInstanceBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const name = blockName(a);
      const v = newVrrpInstance(name);
      v.pos = a.pos;
      walkChild(a, vrrpInstanceBlock, v, ctx);
      if (c.vrrp_instances.some((x) => x.name === name)) a.error(`vrrp instance ${name} already defined`);
      else c.vrrp_instances.push(v);
    },
  },
  {
    name: 'virtual_server_group', args: 'NAME', block: () => virtualServerGroupBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const name = blockName(a);
      const g = walkChild(a, virtualServerGroupBlock, { name, pos: a.pos } as import('./lvs.js').VirtualServerGroup, ctx);
      if (!duplicate(c.virtual_server_groups, name, 'virtual_server_group', a)) c.virtual_server_groups.push(g);
    },
  },
  {
    name: 'virtual_server', args: 'IP [PORT] | fwmark N | group NAME', block: () => virtualServerBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const vs = newVirtualServer();
      vs.pos = a.pos;
      const w1 = a.need(1);
      if (w1 === 'fwmark') {
        const m = a.int(2, 0, 0xffffffff, 0);
        if (m !== undefined) vs.fwmark = m;
      } else if (w1 === 'group') {
        const g = a.need(2);
        if (g !== undefined) vs.group = g;
      } else if (w1 !== undefined) {
        vs.ip = w1;
        if (a.has(2)) {
          const p = a.int(2, 0, 65535);
          if (p !== undefined) vs.port = p;
        }
      }
      ctx.scratch.virtualServer = vs;
      walkChild(a, virtualServerBlock, vs, ctx);
      delete ctx.scratch.virtualServer;
      c.virtual_servers.push(vs);
    },
  },
  { name: 'SSL', block: () => sslBlock as BlockDef<unknown>, handle: (c, a, ctx) => { c.ssl = walkChild(a, sslBlock, c.ssl ?? {}, ctx); } },
  {
    name: 'garp_group', block: () => garpGroupBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => { c.garp_groups.push(walkChild(a, garpGroupBlock, { pos: a.pos }, ctx)); },
  },
  {
    name: 'track_group', args: 'NAME', lines: true, support: 'not-yet', note: 'static track groups',
    handle: (c, a, ctx) => {
      const g = { name: blockName(a), group: [] as string[] };
      for (const l of blockLines(a, ctx)) {
        if (l.word(0) === 'group') continue;
        g.group.push(...l.rest(0));
      }
      c.track_groups.push(g);
    },
  },
  {
    name: 'bfd_instance', args: 'NAME', block: () => bfdInstanceBlock as BlockDef<unknown>, support: 'not-yet', note: 'BFD',
    handle: (c, a, ctx) => { c.bfd_instances.push(walkChild(a, bfdInstanceBlock, { name: blockName(a), pos: a.pos }, ctx)); },
  },
  { name: 'net_namespace', args: 'NAME', support: 'not-yet', handle: (c, a) => { const v = a.str(); if (v !== undefined) c.root.net_namespace = v; } },
  { name: 'net_namespace_ipvs', args: '[NAME]', support: 'not-yet', handle: (c, a) => { c.root.net_namespace_ipvs = a.word(1) ?? ''; } },
  { name: 'namespace_with_ipsets', support: 'never', note: 'keel does not manage ipsets', handle: (c) => { c.root.namespace_with_ipsets = true; } },
  { name: 'use_pid_dir', support: 'not-yet', handle: (c) => { c.root.use_pid_dir = true; } },
  { name: 'instance', args: 'NAME', handle: (c, a) => { const v = a.str(); if (v !== undefined) c.root.instance = v; } },
  { name: 'child_wait_time', args: 'SECS', support: 'not-yet', handle: (c, a) => { const v = a.int(1, 0, 2147483647); if (v !== undefined) c.root.child_wait_time = v; } },
  { name: 'linkbeat_use_polling', support: 'never', note: 'keel follows link state through rtnetlink', handle: (c) => { c.root.linkbeat_use_polling = true; } },
  {
    name: 'linkbeat_interfaces', lines: true, support: 'never', note: 'keel follows link state through rtnetlink',
    handle: (c, a, ctx) => { c.root.linkbeat_interfaces = blockLines(a, ctx).map((l) => l.rest(0)); },
  },
  {
    name: 'interface_up_down_delays', lines: true, support: 'not-yet',
    handle: (c, a, ctx) => {
      const out: { interface: string; down_delay: number; up_delay: number }[] = [];
      for (const l of blockLines(a, ctx)) {
        const d = l.int(1, 0, 254);
        const u = l.has(2) ? l.int(2, 0, 254) : d;
        if (d !== undefined && u !== undefined) out.push({ interface: l.word(0)!, down_delay: d, up_delay: u });
      }
      c.root.interface_up_down_delays = out;
    },
  },
];

export const rootBlock: BlockDef<Config> = defineBlock('root', keywords, 'The top level of keepalived.conf');
void ({} as BuildContext);
