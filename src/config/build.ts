// Syntax tree -> typed Config: walk the keyword table, then the checks keepalived makes once the
// whole file is read (cross-references, duplicates, interfaces).
import { existsSync } from 'node:fs';
import { Diagnostics } from './diagnostics.js';
import { ParseCache, parseFile, parseText } from './parse.js';
import type { PreprocessOptions } from './preprocess.js';
import { registerBlocks, walk, type BlockDef, type BuildContext, type VsReuse } from './schema.js';
import type { Stmt } from './tree.js';
import type { Config } from './types.js';
import { allBlockDefs } from './registry.js';
import { rootBlock } from './blocks/root.js';
import { newGlobalDefs, validateGlobal } from './blocks/global.js';
import { validateVrrp } from './blocks/vrrp.js';
import { validateTrackers } from './blocks/trackers.js';
import { validateLvs } from './blocks/lvs.js';

export function emptyConfig(): Config {
  return {
    global_defs: newGlobalDefs(),
    root: {},
    static_ipaddress: [],
    static_routes: [],
    static_rules: [],
    vrrp_scripts: [],
    vrrp_track_processes: [],
    track_files: [],
    vrrp_sync_groups: [],
    vrrp_instances: [],
    garp_groups: [],
    track_groups: [],
    bfd_instances: [],
    virtual_server_groups: [],
    virtual_servers: [],
  };
}

export interface BuildOptions extends PreprocessOptions {
  /** Check interfaces exist, as keepalived does (default: look in /sys/class/net). */
  interfaceExists?: (name: string) => boolean;
  /** What the last load parsed and built, for the next one (a running daemon's reloads). */
  cache?: LoadCache;
}

/**
 * A running daemon's memory of its last config load, so that a reload does the work of what
 * changed: the syntax trees of unchanged top-level statements (ParseCache), and the virtual
 * servers built from unchanged virtual_server statements. A virtual server is reused when its
 * statement is the very tree of the last load (same text, same lines), every other top-level
 * statement is too (global_defs, groups, track files... that a virtual server may read), it
 * loaded without any message, is in no virtual_server_group and runs no script (scripts are
 * checked on the file system at each load). 300 virtual servers of 100 real servers, one weight
 * changed: the build takes ~1/300 of its work.
 */
export class LoadCache {
  readonly parse = new ParseCache();
  private context: readonly Stmt[] = [];
  private built = new Map<Stmt, unknown>();
  /** Virtual servers reused by the last load (for tests and benchmarks). */
  reused = 0;

  /** @internal buildConfig's start: what may be reused given this load's top-level statements. */
  startBuild(tree: readonly Stmt[]): VsReuse {
    const others = tree.filter((s) => s.words[0]?.text !== 'virtual_server');
    const same = others.length === this.context.length && others.every((s, i) => s === this.context[i]);
    this.context = others;
    // Built in another context: never reusable again (even if a later load returns to this one).
    if (!same) this.built = new Map();
    return { from: this.built, taken: new Set(), clean: new Map() };
  }

  /** @internal buildConfig's end: remember this load's reusable virtual servers. */
  finishBuild(reuse: VsReuse, config: Config): void {
    const built = new Map<Stmt, unknown>();
    const kept = new Set<unknown>(config.virtual_servers);
    for (const [stmt, vs] of reuse.from) if (reuse.taken.has(vs) && kept.has(vs)) built.set(stmt, vs);
    for (const [vs, stmt] of reuse.clean) if (kept.has(vs)) built.set(stmt, vs);
    this.built = built;
    this.reused = reuse.taken.size;
  }
}

export interface LoadResult {
  config: Config;
  diagnostics: Diagnostics;
  files: string[];
}

export function sysInterfaceExists(name: string): boolean {
  if (!name || name.includes('/') || name === '.' || name === '..') return false;
  return existsSync(`/sys/class/net/${name}`);
}

// The keyword table is fixed: index its blocks (for "it belongs in ...") once per process.
registerBlocks(allBlockDefs() as BlockDef<unknown>[]);

export function buildConfig(tree: readonly Stmt[], diags: Diagnostics, opts: BuildOptions = {}): Config {
  const config = emptyConfig();
  const ctx: BuildContext = {
    diags,
    config,
    noticed: new Set(),
    interfaceExists: opts.interfaceExists ?? sysInterfaceExists,
    scratch: {},
  };
  if (opts.cache) ctx.reuse = opts.cache.startBuild(tree);
  // keepalived's VRRP and checker processes start from the global settings the parent already
  // read, so global_defs applies to the whole file wherever it is written.
  walk(rootBlock, tree.filter((s) => s.words[0]?.text === 'global_defs'), config, ctx);
  walk(rootBlock, tree.filter((s) => s.words[0]?.text !== 'global_defs'), config, ctx);
  validateGlobal(config, ctx);
  validateTrackers(config, ctx);
  validateVrrp(config, ctx);
  validateLvs(config, ctx);
  if (opts.cache && ctx.reuse) opts.cache.finishBuild(ctx.reuse, config);
  return config;
}

export function loadConfigFile(file: string, opts: BuildOptions = {}): LoadResult {
  const diagnostics = new Diagnostics();
  const parsed = parseFile(file, diagnostics, opts, opts.cache?.parse);
  const config = buildConfig(parsed.tree, diagnostics, opts);
  return { config, diagnostics, files: parsed.files };
}

export function loadConfigText(text: string, opts: BuildOptions = {}, name = 'keepalived.conf'): LoadResult {
  const diagnostics = new Diagnostics();
  const parsed = parseText(text, diagnostics, opts, name, opts.cache?.parse);
  const config = buildConfig(parsed.tree, diagnostics, opts);
  return { config, diagnostics, files: parsed.files };
}
