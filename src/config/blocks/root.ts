// The top level of keepalived.conf.
import { blockLines, defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { globalDefsBlock } from './global.js';
import { parseAddressLine, parseRouteLine, parseRuleLine } from './addresses.js';
import { newVrrpInstance, newSyncGroup, vrrpInstanceBlock, syncGroupBlock } from './vrrp.js';
import { newVrrpScript, newTrackProcess, newTrackFile, finishVrrpScript, finishTrackProcess, finishTrackFile, vrrpScriptBlock, trackProcessBlock, trackFileBlock } from './trackers.js';
import { parseVirtualServerHeader, readVirtualServerGroup, virtualServerBlock, virtualServerGroupBlock, type VirtualServer } from './lvs.js';
import { readSslBlock, sslBlock } from './checkers.js';
import { garpGroupBlock, bfdInstanceBlock, type TrackGroup } from './misc.js';
import { readDecimal } from '../args.js';
import type { Pos } from '../diagnostics.js';

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

/** Has a block of this kind and name been read already? Records it if not (a Set, so 1,000s stay fast). */
function seen(ctx: BuildContext, kind: string, name: string): boolean {
  const key = `names.${kind}`;
  const set = (ctx.scratch[key] ??= new Set<string>()) as Set<string>;
  if (set.has(name)) return true;
  set.add(name);
  return false;
}

/** A named tracker block: read it, let its area check it, keep it when the check passes. */
function tracker<T extends { pos?: Pos }>(
  name: string, block: BlockDef<T>, create: (name: string) => T, finish: (t: T, ctx: BuildContext) => boolean, list: (c: Config) => T[],
): K {
  return {
    name, args: 'NAME', block: () => block as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const t = create(blockName(a));
      t.pos = a.pos;
      walkChild(a, block, t, ctx);
      if (finish(t, ctx)) list(c).push(t);
    },
  };
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
  // keepalived 2.2.7 does not complain about a repeated tracker name; a tracker dropped at the
  // end of its block is "not found" for the instances after it.
  tracker('vrrp_script', vrrpScriptBlock, newVrrpScript, finishVrrpScript, (c) => c.vrrp_scripts),
  tracker('vrrp_track_process', trackProcessBlock, newTrackProcess, finishTrackProcess, (c) => c.vrrp_track_processes),
  tracker('track_file', trackFileBlock, newTrackFile, finishTrackFile, (c) => c.track_files),
  {
    // keepalived 2.2.7 only logs this deprecation; its -t still passes.
    name: 'vrrp_track_file', args: 'NAME', aliasOf: 'track_file',
    obsolete: '"vrrp_track_file" is deprecated, please use "track_file"', handle: () => {},
  },
  {
    name: 'vrrp_sync_group', args: 'NAME', block: () => syncGroupBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      if (a.length !== 2) {
        a.error('vrrp_sync_group must have a name - skipping');
        return;
      }
      const name = a.word(1)!;
      // keepalived reports a repeated name and skips the whole block.
      if (seen(ctx, 'vrrp_sync_group', name)) {
        a.error(`vrrp sync group ${name} already defined`);
        return;
      }
      const g = newSyncGroup(name);
      g.pos = a.pos;
      c.vrrp_sync_groups.push(walkChild(a, syncGroupBlock, g, ctx));
    },
  },
  {
    name: 'vrrp_instance', args: 'NAME', block: () => vrrpInstanceBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      if (a.length !== 2) {
        a.error('vrrp_instance must have a name');
        return;
      }
      const name = a.word(1)!;
      if (seen(ctx, 'vrrp_instance', name)) {
        a.error(`vrrp instance ${name} already defined`);
        return;
      }
      const v = newVrrpInstance(name);
      v.pos = a.pos;
      c.vrrp_instances.push(walkChild(a, vrrpInstanceBlock, v, ctx));
    },
  },
  {
    name: 'virtual_server_group', args: 'NAME', lines: true, block: () => virtualServerGroupBlock as BlockDef<unknown>, doc: 'Services sharing one set of real servers',
    handle: (c, a, ctx) => { const g = readVirtualServerGroup(a, ctx); if (g) c.virtual_server_groups.push(g); },
  },
  {
    name: 'virtual_server', args: 'IP [PORT] | fwmark N | group NAME', block: () => virtualServerBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => {
      const reused = ctx.reuse?.from.get(a.stmt) as VirtualServer | undefined;
      if (reused) {
        ctx.reuse!.taken.add(reused);
        c.virtual_servers.push(reused);
        return;
      }
      const before = ctx.diags.list.length;
      const vs = parseVirtualServerHeader(a, ctx);
      if (!vs) return; // keepalived skips the whole block
      ctx.scratch.virtualServer = vs;
      walkChild(a, virtualServerBlock, vs, ctx);
      delete ctx.scratch.virtualServer;
      c.virtual_servers.push(vs);
      if (ctx.reuse && ctx.diags.list.length === before) ctx.reuse.clean.set(vs, a.stmt);
    },
  },
  { name: 'SSL', block: () => sslBlock as BlockDef<unknown>, handle: (c, a, ctx) => { readSslBlock(c, a, ctx); } },
  {
    name: 'garp_group', block: () => garpGroupBlock as BlockDef<unknown>,
    handle: (c, a, ctx) => { c.garp_groups.push(walkChild(a, garpGroupBlock, { pos: a.pos }, ctx)); },
  },
  {
    name: 'track_group', args: 'NAME', block: () => trackGroupBlock as BlockDef<unknown>, support: 'not-yet', note: 'static track groups',
    handle: (c, a, ctx) => {
      if (a.length !== 2) {
        a.error('track_group must have a name - skipping');
        return;
      }
      const name = a.word(1)!;
      if (c.track_groups.some((g) => g.name === name)) {
        a.error(`track_group ${name} already defined`);
        return;
      }
      c.track_groups.push(walkChild(a, trackGroupBlock, { name, group: [] }, ctx));
    },
  },
  {
    name: 'bfd_instance', args: 'NAME', block: () => bfdInstanceBlock as BlockDef<unknown>, support: 'not-yet', note: 'BFD',
    handle: (c, a, ctx) => { c.bfd_instances.push(walkChild(a, bfdInstanceBlock, { name: blockName(a), pos: a.pos }, ctx)); },
  },
  {
    name: 'net_namespace', args: 'NAME', note: 'the parent enters /run/netns/NAME before anything else (as -s)',
    handle: (c, a) => {
      const v = a.word(1);
      if (v === undefined) a.error('net_namespace name missing - ignoring');
      else if (c.root.net_namespace !== undefined) a.error(`Duplicate net_namespace definition ${v} - ignoring`);
      else c.root.net_namespace = v;
    },
  },
  {
    name: 'net_namespace_ipvs', args: '[NAME]', support: 'not-yet',
    handle: (c, a) => {
      if (c.root.net_namespace_ipvs !== undefined) a.error(`Duplicate net_namespace_ipvs definition ${a.word(1) ?? ''} - ignoring`);
      else c.root.net_namespace_ipvs = a.word(1) ?? '';
    },
  },
  { name: 'namespace_with_ipsets', support: 'never', note: 'keel does not manage ipsets', handle: (c) => { c.root.namespace_with_ipsets = true; } },
  { name: 'use_pid_dir', support: 'not-yet', handle: (c) => { c.root.use_pid_dir = true; } },
  {
    name: 'instance', args: 'NAME',
    handle: (c, a) => {
      const v = a.word(1);
      if (v === undefined) a.error('instance name missing - ignoring');
      else if (c.root.instance !== undefined) a.error(`Duplicate instance definition ${v} - ignoring`);
      else c.root.instance = v;
    },
  },
  {
    name: 'child_wait_time', args: 'SECS', support: 'not-yet',
    handle: (c, a) => {
      const v = a.int(1, 0, 4294967295);
      if (v === undefined) a.error(`Invalid child_wait_time ${a.word(1) ?? ''}`);
      else c.root.child_wait_time = v;
    },
  },
  { name: 'linkbeat_use_polling', support: 'never', note: 'keel follows link state through rtnetlink', handle: (c) => { c.root.linkbeat_use_polling = true; } },
  {
    name: 'linkbeat_interfaces', lines: true, support: 'never', note: 'keel follows link state through rtnetlink',
    handle: (c, a, ctx) => {
      const out: { interface: string; type?: string }[] = [];
      for (const l of blockLines(a, ctx)) {
        const ifname = l.word(0)!;
        if (!knownInterface(c, ctx, ifname)) {
          ctx.diags.add('error', `unknown interface ${ifname} specified for linkbeat interface`, l.pos, true);
          continue;
        }
        const type = l.word(1);
        if (type !== undefined && (!['MII', 'ETHTOOL', 'IOCTL'].includes(type) || l.length > 2)) {
          l.error(`extra characters ${type} in linkbeat interface`, 1);
        }
        out.push(type !== undefined ? { interface: ifname, type } : { interface: ifname });
      }
      c.root.linkbeat_interfaces = out;
    },
  },
  {
    name: 'interface_up_down_delays', lines: true, support: 'not-yet',
    handle: (c, a, ctx) => {
      const out: { interface: string; down_delay: number; up_delay: number }[] = [];
      for (const l of blockLines(a, ctx)) {
        const ifname = l.word(0)!;
        if (!knownInterface(c, ctx, ifname)) {
          ctx.diags.add('error', `unknown interface ${ifname} specified for up/down delay`, l.pos, true);
          continue;
        }
        // keepalived only logs (without failing) a missing or bad delay and skips the line.
        if (l.length < 2) continue;
        const down = readDecimal(l.word(1)!, 0, 255e6, 6, () => {});
        const up = l.length === 2 ? 0 : readDecimal(l.word(2)!, 0, 255e6, 6, () => {});
        if (down === undefined || up === undefined) {
          l.hint(`Invalid up/down delay for ${ifname}: keepalived ignores this line`);
          continue;
        }
        out.push({ interface: ifname, down_delay: down / 1e6, up_delay: up / 1e6 });
      }
      c.root.interface_up_down_delays = out;
    },
  },
];

/** keepalived looks interfaces up at parse time, and accepts unknown ones with dynamic_interfaces. */
function knownInterface(c: Config, ctx: BuildContext, name: string): boolean {
  return !!c.global_defs.dynamic_interfaces || ctx.interfaceExists(name);
}

const trackGroupBlock: BlockDef<TrackGroup> = defineBlock('track_group', [
  {
    name: 'group', lines: true,
    handle: (g, a, ctx) => {
      if (g.group.length) {
        a.error(`Group list already specified for sync group ${g.name}`);
        return;
      }
      for (const l of blockLines(a, ctx)) g.group.push(...l.rest(0));
      if (!g.group.length) a.error(`Warning - track group ${g.name} has empty group block`);
    },
  },
]);

export const rootBlock: BlockDef<Config> = defineBlock('root', keywords, 'The top level of keepalived.conf');
void ({} as BuildContext);
