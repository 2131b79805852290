// Syntax tree -> typed Config: walk the keyword table, then the checks keepalived makes once the
// whole file is read (cross-references, duplicates, interfaces).
import { existsSync } from 'node:fs';
import { Diagnostics } from './diagnostics.js';
import { parseFile, parseText, type ParseCache } from './parse.js';
import type { PreprocessOptions } from './preprocess.js';
import { registerBlocks, walk, type BlockDef, type BuildContext } from './schema.js';
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
  /** Keep the statements' trees for the next load (a running daemon's reloads). */
  cache?: ParseCache;
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
  // keepalived's VRRP and checker processes start from the global settings the parent already
  // read, so global_defs applies to the whole file wherever it is written.
  walk(rootBlock, tree.filter((s) => s.words[0]?.text === 'global_defs'), config, ctx);
  walk(rootBlock, tree.filter((s) => s.words[0]?.text !== 'global_defs'), config, ctx);
  validateGlobal(config, ctx);
  validateTrackers(config, ctx);
  validateVrrp(config, ctx);
  validateLvs(config, ctx);
  return config;
}

export function loadConfigFile(file: string, opts: BuildOptions = {}): LoadResult {
  const diagnostics = new Diagnostics();
  const parsed = parseFile(file, diagnostics, opts, opts.cache);
  const config = buildConfig(parsed.tree, diagnostics, opts);
  return { config, diagnostics, files: parsed.files };
}

export function loadConfigText(text: string, opts: BuildOptions = {}, name = 'keepalived.conf'): LoadResult {
  const diagnostics = new Diagnostics();
  const parsed = parseText(text, diagnostics, opts, name, opts.cache);
  const config = buildConfig(parsed.tree, diagnostics, opts);
  return { config, diagnostics, files: parsed.files };
}
