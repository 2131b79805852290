// vrrp_script, vrrp_track_process, track_file (and vrrp_track_file), and script security: the
// checks keepalived 2.2.7 makes on every script it would run (check_script_secure), shared with the
// notify scripts and MISC_CHECK through checkScriptSecurity / reportScriptSecurity.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import type { Args } from '../args.js';
import type { Pos } from '../diagnostics.js';
import { defineBlock, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import type { ScriptSpec } from '../words.js';
import { readScript } from '../words.js';
import { intAsStored, nonExistentInterfacePos, nonExistentInterfaceSeen, readDecimalC, readIntC, readUnsigned } from './addresses.js';
import { defaultScriptUser as globalDefaultScriptUser, lookupGroup, lookupUser, SECURITY_REPORTED } from './global.js';

export interface VrrpScript {
  name: string;
  script?: ScriptSpec;
  /** Seconds (whole seconds in 2.2.7). */
  interval: number;
  /** Seconds; absent means the interval. */
  timeout?: number;
  weight: number;
  weight_reverse: boolean;
  rise: number;
  fall: number;
  /** Who runs it; absent means the default script user (script_user, keepalived_script or root). */
  user?: { user: string; group?: string };
  init_fail: boolean;
  pos?: Pos;
}

export function newVrrpScript(name: string): VrrpScript {
  return { name, interval: 1, weight: 0, weight_reverse: false, rise: 1, fall: 1, init_fail: false };
}

export interface TrackProcess {
  name: string;
  /** The process name (or path) to look for. */
  process?: string;
  /** Parameters that must follow it on the command line (given after the name). */
  params?: string[];
  /** How params are matched: none (name only), exact, initial, partial. */
  param_match: 'none' | 'exact' | 'initial' | 'partial';
  weight: number;
  weight_reverse: boolean;
  /** Processes needed for "up" (1..65535; 0 when quorum_max is 0). */
  quorum: number;
  /** Most processes allowed; absent means no limit. */
  quorum_max?: number;
  /** Seconds to wait after a process goes before reporting it down. */
  terminate_delay?: number;
  /** Seconds to wait after a process starts before reporting it up. */
  fork_delay?: number;
  /** Match against the full command line rather than the process name. */
  full_command: boolean;
  pos?: Pos;
}

export function newTrackProcess(name: string): TrackProcess {
  return { name, param_match: 'none', weight: 0, weight_reverse: false, quorum: 1, full_command: false };
}

export interface TrackFile {
  name: string;
  file?: string;
  /** Default weight for instances tracking the file (1 unless set). */
  weight: number;
  weight_reverse: boolean;
  /** init_file: create the file with this value (overwrite: also when it exists). */
  init_file?: { value: number; overwrite: boolean };
  pos?: Pos;
}

export function newTrackFile(name: string): TrackFile {
  return { name, weight: 1, weight_reverse: false };
}

/** keepalived stops reading the file when a keyword lacks its parameter (exit 2). */
function need(a: Args, i: number): string | undefined {
  const w = a.word(i);
  if (w === undefined) {
    const after = i > 0 ? ` after keyword '${a.word(i - 1)}'` : '';
    a.diags.abort(`Configuration line starting '${a.keyword}' is missing a parameter${after} at word position ${i + 1}`, a.pos);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Users and groups: global.ts owns the lookups and the default script user (reported once).

interface Account {
  uid: number;
  gid: number;
}

/** keepalived's set_uid_gid: the user's uid and gid, or the named group's gid. */
export function resolveUser(user: string, group?: string): Account | undefined {
  const u = lookupUser(user);
  if (!u) return undefined;
  if (group === undefined) return u;
  const g = lookupGroup(group);
  return g === undefined ? undefined : { uid: u.uid, gid: g };
}

const ourUid = (): number => process.geteuid?.() ?? 0;
const ourGid = (): number => process.getegid?.() ?? 0;

/**
 * The default script user's uid/gid (keepalived's get_default_script_user: script_user, else
 * keepalived_script, else root); undefined when keepalived drops scripts needing it. global.ts
 * decides who it is and reports a failure once.
 */
export function defaultScriptUser(ctx: BuildContext, pos?: Pos): Account | undefined {
  return defaultAccount(ctx, pos);
}

function defaultAccount(ctx: BuildContext, pos?: Pos): Account | undefined {
  const d = globalDefaultScriptUser(ctx, pos);
  if (!d) return undefined;
  if (d.user === undefined) return { uid: ourUid(), gid: ourGid() };
  return resolveUser(d.user, d.group);
}

/** Who runs a SCRIPT [user [group]] script: its own user, or the default one. */
export function scriptRunAs(spec: ScriptSpec, ctx: BuildContext, pos?: Pos): Account | undefined {
  return spec.user !== undefined ? resolveUser(spec.user, spec.group) : defaultAccount(ctx, pos);
}

// ---------------------------------------------------------------------------------------------
// vrrp_script

/** Per-script parse state keepalived keeps while reading the block (not part of the Config). */
interface ScriptState {
  userFailed: boolean;
  userSet: boolean;
  runAs?: Account;
}
const scriptState = new WeakMap<VrrpScript, ScriptState>();
function stateOf(s: VrrpScript): ScriptState {
  let st = scriptState.get(s);
  if (!st) scriptState.set(s, (st = { userFailed: false, userSet: false }));
  return st;
}

/** keepalived's cmd_str: the words quoted with ', except a leading "<file" / ">file" test. */
function cmdStr(s: VrrpScript): string {
  return (s.script?.argv ?? []).map((w, i) => (i === 0 && (w[0] === '<' || w[0] === '>') ? w : `'${w}'`)).join(' ');
}

/** interval/timeout: whole seconds 1..4294 (0 is accepted as 1, with a complaint). */
function scriptSeconds(s: VrrpScript, a: Args, what: 'interval' | 'timeout'): number | undefined {
  const w = need(a, 1);
  if (w === undefined) return undefined;
  const v = readUnsigned(w, 0, 4294, (m) => a.error(m, 1));
  if (v === undefined) {
    a.error(what === 'interval'
      ? `(${s.name}): vrrp script interval '${w}' must be between 1 and 4294 - ignoring`
      : `(${s.name}): vrrp script timeout '${w}' invalid - ignoring`, 1);
    return undefined;
  }
  if (v === 0) {
    a.error(`(${s.name}): vrrp script ${what} must be greater than 0, setting to 1`, 1);
    return 1;
  }
  return v;
}

function riseFall(s: VrrpScript, a: Args, what: 'rise' | 'fall'): void {
  const w = need(a, 1);
  if (w === undefined) return;
  const v = readUnsigned(w, 1, 0x7fffffff, (m) => a.error(m, 1));
  if (v === undefined) a.error(`(${s.name}): vrrp script ${what} value '${w}' invalid, defaulting to 1`, 1);
  s[what] = v ?? 1;
}

const scriptKeywords: Keyword<VrrpScript>[] = [
  {
    name: 'script', args: 'COMMAND', doc: 'The command to run; exit 0 means up',
    handle: (s, a) => {
      // keepalived takes only the second word; anything after it is ignored.
      if (!a.has(1)) return;
      const v = readScript(a);
      if (v) s.script = { command: v.command, argv: v.argv };
    },
  },
  {
    name: 'interval', args: 'SECS', default: '1', doc: 'Seconds between runs',
    handle: (s, a) => { const v = scriptSeconds(s, a, 'interval'); if (v !== undefined) s.interval = v; },
  },
  {
    name: 'timeout', args: 'SECS', default: 'the interval', doc: 'Seconds before a run counts as failed',
    handle: (s, a) => { const v = scriptSeconds(s, a, 'timeout'); if (v !== undefined) s.timeout = v; },
  },
  {
    name: 'weight', args: '-253..253 [reverse]', default: '0', doc: 'Priority change while the script succeeds (fails with reverse)',
    handle: (s, a) => {
      const w = need(a, 1);
      if (w === undefined) return;
      const v = readIntC(w, -253, 253, (m) => a.error(m, 1));
      if (v === undefined) a.error(`vrrp_script ${s.name} weight ${w} must be in [-253, 253]`, 1);
      // keepalived keeps the number it read even when it complained.
      s.weight = v ?? intAsStored(w);
      if (a.has(2)) {
        if (a.word(2) === 'reverse') s.weight_reverse = true;
        else a.error(`vrrp_script ${s.name} unknown weight option ${a.word(2)}`, 2);
      }
    },
  },
  { name: 'rise', args: 'N', default: '1', doc: 'Successes needed to go up', handle: (s, a) => riseFall(s, a, 'rise') },
  { name: 'fall', args: 'N', default: '1', doc: 'Failures needed to go down', handle: (s, a) => riseFall(s, a, 'fall') },
  {
    name: 'user', args: 'USER [GROUP]', doc: 'Run the script as this user (and group)',
    handle: (s, a) => {
      const user = need(a, 1);
      if (user === undefined) return;
      const group = a.word(2);
      const st = stateOf(s);
      const acct = resolveUser(user, group);
      if (!acct) {
        a.error(`Unable to set uid/gid for script ${cmdStr(s)}`);
        st.userFailed = true;
        return;
      }
      st.userFailed = false;
      st.userSet = true;
      st.runAs = acct;
      s.user = group === undefined ? { user } : { user, group };
    },
  },
  { name: 'init_fail', doc: 'Start in the failed state', handle: (s) => { s.init_fail = true; } },
];
export const vrrpScriptBlock: BlockDef<VrrpScript> = defineBlock('vrrp_script', scriptKeywords, 'A script whose result changes VRRP priorities');

const finished = new WeakSet<object>();

/**
 * keepalived's checks at the end of a vrrp_script block: no script ("No script set for
 * vrrp_script X - removing"), or no usable user. Returns false when keepalived drops the script.
 * Idempotent; root.ts should call it after walking the block, validateTrackers does otherwise.
 */
export function finishVrrpScript(s: VrrpScript, ctx: BuildContext): boolean {
  if (finished.has(s)) return true;
  finished.add(s);
  const st = stateOf(s);
  if (!s.script) {
    ctx.diags.error(`No script set for vrrp_script ${s.name} - removing`, s.pos);
    return false;
  }
  if (st.userFailed) return false;
  if (!st.userSet) {
    const acct = defaultAccount(ctx, s.pos);
    if (!acct) {
      ctx.diags.error(`Unable to set default user for vrrp script ${s.name} - removing`, s.pos);
      return false;
    }
    st.runAs = acct;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// vrrp_track_process

const QUORUM_MAX_DEFAULT = 0xffffffff;

function processDelay(p: TrackProcess, a: Args, kind: 'terminate_' | 'fork_' | ''): void {
  const w = need(a, 1);
  if (w === undefined) return;
  const v = readDecimalC(w, 1, 3600 * 1e6, 6, (m) => a.error(m, 1));
  if (v === undefined) {
    a.error(`${kind}delay (${w}) for vrrp_track_process ${p.name} must be between [0.000001..3600] inclusive. Ignoring...`, 1);
    return;
  }
  if (kind !== 'fork_') p.terminate_delay = v / 1e6;
  if (kind !== 'terminate_') p.fork_delay = v / 1e6;
}

const processKeywords: Keyword<TrackProcess>[] = [
  {
    name: 'process', args: 'NAME [PARAMS...]', doc: 'The process to track (with parameters: its full command line)',
    handle: (p, a) => {
      const name = need(a, 1);
      if (name === undefined) return;
      if (p.process !== undefined) {
        a.error(`Process already set for track process ${p.name} - ignoring ${name}`, 1);
        return;
      }
      p.process = name;
      if (a.length > 2) {
        p.params = a.rest(2);
        if ((p.param_match ?? 'none') === 'none') p.param_match = 'exact';
        p.full_command = true;
      }
    },
  },
  {
    name: 'param_match', args: '[initial|partial]', default: 'exact when parameters are given', doc: 'How the parameters must match',
    handle: (p, a) => {
      const w = a.word(1);
      if (w === undefined) p.param_match = 'exact';
      else if (w === 'initial' || w === 'partial') p.param_match = w;
      else {
        a.error(`Invalid param_match type ${w} - ignoring`, 1);
        return;
      }
      p.full_command = true;
    },
  },
  {
    name: 'weight', args: '-254..254 [reverse]', default: '0', doc: 'Priority change while the quorum is met (not met with reverse)',
    handle: (p, a) => {
      if (!a.has(1)) {
        a.error(`No weight specified for track process ${p.name} - ignoring`);
        return;
      }
      const w = a.word(1)!;
      if (p.weight) {
        a.error(`Weight already set for track process ${p.name} - ignoring ${w}`, 1);
        return;
      }
      const v = readIntC(w, -254, 254, (m) => a.error(m, 1));
      if (v === undefined) {
        a.error(`Weight (${w}) for vrrp_track_process ${p.name} must be between [-254..254] inclusive. Ignoring...`, 1);
        return;
      }
      if (a.has(2)) {
        if (a.word(2) === 'reverse') p.weight_reverse = true;
        else a.error(`vrrp_track_process ${p.name} unknown weight option ${a.word(2)}`, 2);
      }
      p.weight = v;
    },
  },
  {
    name: 'quorum', args: '1..65535', default: '1', doc: 'Processes needed for the tracker to be up',
    handle: (p, a) => {
      const w = need(a, 1);
      if (w === undefined) return;
      const v = readUnsigned(w, 1, 65535, (m) => a.error(m, 1));
      if (v === undefined) {
        a.error(`Quorum (${w}) for vrrp_track_process ${p.name} must be between [1..65535] inclusive. Ignoring...`, 1);
        return;
      }
      if (v > (p.quorum_max ?? QUORUM_MAX_DEFAULT)) {
        a.error('Quorum is greater than quorum_max - ignoring', 1);
        return;
      }
      p.quorum = v;
    },
  },
  {
    name: 'quorum_max', args: '0..65535', default: 'no limit', doc: 'Most processes allowed for the tracker to be up',
    handle: (p, a) => {
      const w = need(a, 1);
      if (w === undefined) return;
      const v = readUnsigned(w, 0, 65535, (m) => a.error(m, 1));
      if (v === undefined) {
        a.error(`quorum_max (${w}) for vrrp_track_process ${p.name} must be between [0..65535] inclusive. Ignoring...`, 1);
        return;
      }
      const quorum = p.quorum ?? 1;
      // quorum_max 0 is allowed when quorum was not raised.
      if ((v || quorum > 1) && v < quorum) {
        a.error('quorum_max is less than quorum - ignoring', 1);
        return;
      }
      p.quorum_max = v;
      if (v === 0) p.quorum = 0;
      else if (!quorum) p.quorum = 1;
    },
  },
  { name: 'delay', args: 'SECS', doc: 'Sets both terminate_delay and fork_delay', handle: (p, a) => processDelay(p, a, '') },
  { name: 'terminate_delay', args: 'SECS', doc: 'Wait before reporting a process gone', handle: (p, a) => processDelay(p, a, 'terminate_') },
  { name: 'fork_delay', args: 'SECS', doc: 'Wait before reporting a new process', handle: (p, a) => processDelay(p, a, 'fork_') },
  { name: 'full_command', doc: 'Match the full command line, not the process name', handle: (p) => { p.full_command = true; } },
];
export const trackProcessBlock: BlockDef<TrackProcess> = defineBlock('vrrp_track_process', processKeywords, 'Track running processes');

/** keepalived's end of a vrrp_track_process block: a process name is required. */
export function finishTrackProcess(p: TrackProcess, ctx: BuildContext): boolean {
  fillProcessDefaults(p);
  if (finished.has(p)) return true;
  finished.add(p);
  if (p.process === undefined) {
    ctx.diags.error(`track process '${p.name}' process name not specified`, p.pos);
    return false;
  }
  return true;
}

/** root.ts creates the object as { name, pos }: give it the defaults newTrackProcess has. */
function fillProcessDefaults(p: TrackProcess): void {
  const d = newTrackProcess(p.name);
  for (const k of Object.keys(d) as (keyof TrackProcess)[]) {
    if (p[k] === undefined) (p as unknown as Record<string, unknown>)[k] = d[k];
  }
}

// ---------------------------------------------------------------------------------------------
// track_file

const fileKeywords: Keyword<TrackFile>[] = [
  {
    name: 'file', args: 'PATH', doc: 'The file holding a number that changes priorities',
    handle: (t, a) => {
      if (!a.has(1)) {
        a.error('track file file name missing');
        return;
      }
      if (t.file !== undefined) {
        a.error(`File already set for track file ${t.name} - ignoring ${a.word(1)}`, 1);
        return;
      }
      t.file = a.word(1)!;
    },
  },
  {
    name: 'weight', args: '-254..254 [reverse]', default: '1', doc: 'Multiplier for the number in the file',
    handle: (t, a) => {
      if (!a.has(1)) {
        a.error(`No weight specified for track file ${t.name} - ignoring`);
        return;
      }
      const w = a.word(1)!;
      if (t.weight !== 1) {
        a.error(`Weight already set for track file ${t.name} - ignoring ${w}`, 1);
        return;
      }
      const v = readIntC(w, -254, 254, (m) => a.error(m, 1));
      if (v === undefined) a.error(`Weight (${w}) for track_file ${t.name} must be between [-254..254] inclusive. Ignoring...`, 1);
      t.weight = v ?? 1;
      if (a.has(2)) {
        // Only "reverse" here: "noreverse" is for the references in vrrp_instance / sync groups.
        if (a.word(2) === 'reverse') t.weight_reverse = true;
        else a.error(`track_file ${t.name} unknown weight option ${a.word(2)}`, 2);
      }
    },
  },
  {
    name: 'init_file', args: '[VALUE] [overwrite]', doc: 'Create the file (with VALUE, default 0) at start-up; overwrite: even if it exists',
    handle: (t, a) => {
      const init = { value: 0, overwrite: false };
      for (let i = 1; i < a.length; i++) {
        const w = a.word(i)!.replace(/^[ \t\n\v\f\r]+/, '');
        if (/^[0-9-]/.test(w)) {
          let v = readIntC(a.word(i)!, -0x80000000, 0x7fffffff, (m) => a.error(m, i));
          if (v === undefined) {
            a.error(`Track file ${t.name} init value ${w} is invalid`, i);
            v = 0;
          } else if (v < -254 || v > 254) {
            a.error(`Track file ${t.name} init value ${v} is outside sensible range [-254, 254]`, i);
          }
          init.value = v;
        } else if (w === 'overwrite') init.overwrite = true;
        else a.error(`Unknown track file init option ${w}`, i);
      }
      t.init_file = init;
    },
  },
];
export const trackFileBlock: BlockDef<TrackFile> = defineBlock('track_file', fileKeywords, 'A file whose value changes VRRP priorities');

/**
 * keepalived's end of a track_file block: a file is required; init_file with overwrite needs a
 * regular file (keel -t, like keepalived -t, never writes it).
 */
export function finishTrackFile(t: TrackFile, ctx: BuildContext): boolean {
  if (finished.has(t)) return true;
  finished.add(t);
  if (t.file === undefined) {
    ctx.diags.error(`No file set for track_file ${t.name} - ignoring`, t.pos);
    return false;
  }
  if (t.init_file?.overwrite) {
    let st: Stats | undefined;
    try {
      st = statSync(t.file);
    } catch {
      // Not there yet: keepalived creates it.
    }
    if (st && !st.isFile()) ctx.diags.error(`Cannot initialise track file ${t.name} - it is not a regular file`, t.pos);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Script security (keepalived's check_script_secure).

/** Flags as check_script_secure returns them. */
export const SC_ISSCRIPT = 0x01;
export const SC_INHIBIT = 0x02;
export const SC_NOTFOUND = 0x04;
export const SC_EXECUTABLE = 0x08;
export const SC_INSECURE = 0x10;
export const SC_SYSTEM = 0x20;

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** keepalived's is_executable: root needs any x bit, others the bit for owner/group/other. */
function isExecutable(st: Stats, uid: number, gid: number): boolean {
  const m = st.mode;
  return (uid === 0 && (m & 0o111) !== 0) ||
    (uid === st.uid && (m & 0o100) !== 0) ||
    (uid !== st.uid && ((gid === st.gid && (m & 0o010) !== 0) || (gid !== st.gid && (m & 0o001) !== 0)));
}

/** Can uid:gid search every directory leading to path? (keepalived resolves the path as that user.) */
function searchable(path: string, uid: number, gid: number): boolean {
  if (uid === 0) return true;
  const parts = path.split('/');
  for (let k = 1; k < parts.length; k++) {
    const dir = parts.slice(0, k).join('/') || '/';
    let st: Stats;
    try {
      st = statSync(dir);
    } catch {
      return false;
    }
    const bit = uid === st.uid ? 0o100 : gid === st.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) return false;
  }
  return true;
}

/** keepalived's check_security: every element of the path must be root's and not writable by others. */
function pathSecurity(filename: string, scriptSecurity: boolean, note: (m: string) => void): number {
  const ends: number[] = [];
  for (let k = 0; k < filename.length; k++) if (filename[k] === '/') ends.push(k === 0 ? 1 : k);
  ends.push(filename.length);
  for (let j = 0; j < ends.length; j++) {
    const last = j === ends.length - 1;
    const part = filename.slice(0, ends[j]);
    let st: Stats;
    try {
      st = lstatSync(part);
    } catch {
      note(`check_script_secure could not find script '${filename}' - disabling`);
      return SC_NOTFOUND;
    }
    if ((!last && !st.isDirectory()) || (last && !st.isFile() && !st.isSymbolicLink())) {
      note(`Wrong file type found in script path '${filename}'.`);
      return SC_INHIBIT;
    }
    const writable = ((st.isDirectory() && !(st.mode & S_ISVTX)) || st.isFile()) &&
      ((st.gid !== 0 && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0);
    if (st.uid !== 0 || writable) {
      note(`Unsafe permissions found for script '${filename}'${scriptSecurity ? ' - disabling' : ''}.`);
      return SC_INSECURE | (scriptSecurity ? SC_INHIBIT : 0);
    }
  }
  return 0;
}

/** keepalived's find_path: look a bare command up in PATH as the script's user would. */
function findInPath(name: string, uid: number, gid: number, note: (m: string) => void): string | undefined {
  if (uid !== ourUid()) {
    // keepalived switches euid before setgroups(), which then fails: such a search never succeeds.
    note(`Permissions failure for script ${name} in path - disabling`);
    return undefined;
  }
  const path = process.env.PATH ?? '/bin:/usr/bin';
  for (const dir of path.split(':')) {
    const file = dir ? `${dir}/${name}` : name;
    try {
      const st = statSync(file);
      if (st.isFile() && isExecutable(st, uid, gid)) {
        note(`WARNING - script \`${name}\` resolved by path search to \`${file}\`. Please specify full path.`);
        return file;
      }
    } catch {
      // Try the next directory.
    }
  }
  note(`Cannot find script ${name} in path - disabling`);
  return undefined;
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * keepalived's check_script_secure for one script: returns SC_* flags. SC_ISSCRIPT means an
 * existing file would be executed; SC_NOTFOUND / SC_INHIBIT / no SC_EXECUTABLE mean keepalived
 * will not run it. `what` names the script in keel's notices ("vrrp_script chk", "notify_master
 * of VI_1", "MISC_CHECK of 10.0.0.1:80"). `runAs` overrides the user from `spec` (vrrp_script's
 * `user` keyword); scripts whose user cannot be resolved give 0 (keepalived already dropped them).
 */
export function checkScriptSecurity(spec: ScriptSpec, ctx: BuildContext, pos: Pos | undefined, what: string, runAs?: { uid: number; gid: number }): number {
  // keepalived's violation summary has no line; keel points it at the first script it checked.
  if (pos && !ctx.scratch.firstScriptPos) ctx.scratch.firstScriptPos = pos;
  const note = (m: string): void => ctx.diags.notice(`${what}: ${m}`, pos);
  let file = spec.argv[0];
  if (file === undefined) return 0;
  if (/^<[ \t]*\//.test(file)) return SC_SYSTEM;
  const acct = runAs ?? scriptRunAs(spec, ctx, pos);
  if (!acct) return 0;
  const { uid, gid } = acct;
  const security = ctx.config.global_defs.enable_script_security;

  if (!file.includes('/')) {
    const found = findInPath(file, uid, gid, note);
    if (found === undefined) return SC_NOTFOUND;
    file = found;
  }
  if (!searchable(file, uid, gid)) {
    note(`Script ${file} cannot be accessed - Permission denied`);
    return SC_NOTFOUND;
  }
  let resolved: string;
  try {
    resolved = realpathSync(file);
  } catch (e) {
    note(`Script ${file} cannot be accessed - ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    return SC_NOTFOUND;
  }
  // Like keepalived: keep the name the script was called by when it resolves to the same file.
  let realFile: string | undefined;
  if (file !== resolved) {
    const origName = file.slice(file.lastIndexOf('/') + 1);
    const newName = resolved.slice(resolved.lastIndexOf('/') + 1);
    if (origName !== newName) {
      const renamed = resolved.slice(0, resolved.lastIndexOf('/') + 1) + origName;
      if (sameFile(resolved, renamed) || !existsStat(resolved)) {
        realFile = resolved;
        resolved = renamed;
      }
    }
    file = resolved;
  }
  let st: Stats;
  try {
    st = statSync(realFile ?? file);
  } catch {
    note(`Unable to access script \`${file}\` - disabling`);
    return SC_NOTFOUND;
  }
  let flags = SC_ISSCRIPT;
  let protect = false;
  if (isExecutable(st, uid, gid)) {
    flags |= SC_EXECUTABLE;
    protect = uid === 0 || gid === 0 ||
      (st.uid === 0 && (st.mode & 0o100) !== 0 && (st.mode & S_ISUID) !== 0) ||
      (st.gid === 0 && (st.mode & 0o010) !== 0 && (st.mode & S_ISGID) !== 0);
  } else note(`WARNING - script '${file}' is not executable for uid:gid ${uid}:${gid} - disabling.`);
  if (!protect) return flags;
  flags |= pathSecurity(file, security, note);
  if (realFile !== undefined) flags |= pathSecurity(realFile, security, note);
  return flags;
}

function existsStat(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Would keepalived run a script with these flags? (not inhibited, found, executable or a "</file" test) */
export function scriptRuns(flags: number): boolean {
  return !(flags & (SC_INHIBIT | SC_NOTFOUND)) && (flags & (SC_EXECUTABLE | SC_SYSTEM)) !== 0;
}

const VIOLATION: Record<'vrrp' | 'check' | 'start/shutdown', string> = {
  vrrp: 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
  check: 'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.',
  'start/shutdown': 'SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.',
};

/**
 * keepalived's "SECURITY VIOLATION" (exit 6): once per process kind when, without
 * enable_script_security, any of its scripts exists. Call it with the OR of the flags of the
 * kind's scripts; later calls for the same kind extend the one report (" There are insecure
 * scripts." when any flags had SC_INSECURE). Kinds: 'vrrp' (vrrp_script, instance and sync group
 * notify scripts, notify_fifo_script, vrrp_notify_fifo_script), 'check' (MISC_CHECK, quorum_up/down,
 * notify_up/down, notify_fifo_script, lvs_notify_fifo_script), 'start/shutdown'.
 */
export function reportScriptSecurity(ctx: BuildContext, kind: 'vrrp' | 'check' | 'start/shutdown', flags: number): void {
  if (ctx.config.global_defs.enable_script_security || !(flags & SC_ISSCRIPT)) return;
  const key = `scriptViolation:${kind}`;
  let prev = ctx.scratch[key] as { flags: number; index: number } | undefined;
  if (!prev) {
    // validateGlobal may have reported it already (global notify FIFO scripts): extend that one.
    const index = ctx.diags.list.findIndex((d) => d.severity === 'security' && d.message.startsWith(VIOLATION[kind]));
    if (index >= 0) ctx.scratch[key] = prev = { flags: 0, index };
  }
  const all = (prev?.flags ?? 0) | flags;
  const message = VIOLATION[kind] + (all & SC_INSECURE ? ' There are insecure scripts.' : '');
  if (prev) {
    prev.flags = all;
    ctx.diags.list[prev.index]!.message = message;
    return;
  }
  ctx.scratch[key] = { flags: all, index: ctx.diags.list.length };
  ctx.diags.security(message, ctx.scratch.firstScriptPos as Pos | undefined);
  const marker = kind === 'vrrp' ? 'vrrp' : kind === 'check' ? 'checker' : 'parent';
  ((ctx.scratch[SECURITY_REPORTED] ??= new Set<string>()) as Set<string>).add(marker);
}

/**
 * Does keepalived get as far as its post-parse VRRP checks (vrrp_complete_init)? Not without a
 * vrrp_instance, and not when an interface named in the file does not exist.
 */
export function vrrpChecksRun(config: Config, ctx: BuildContext): boolean {
  return config.vrrp_instances.length > 0 && !nonExistentInterfaceSeen(ctx);
}

/**
 * How a track_script reference resolves once validateTrackers has run: 'ok'; 'disabled' when
 * keepalived dropped the script after parsing (insecure, not found, not executable: the reference
 * is then dropped silently); 'missing' otherwise ("(VI_1) track script X not found, ignoring...",
 * which keepalived reports while parsing, so a script defined after the instance is also missing).
 */
export function trackScriptStatus(config: Config, ctx: BuildContext, name: string): 'ok' | 'disabled' | 'missing' {
  if (config.vrrp_scripts.some((s) => s.name === name)) return 'ok';
  const disabled = ctx.scratch.disabledVrrpScripts as Set<string> | undefined;
  return disabled?.has(name) ? 'disabled' : 'missing';
}

/** Report "Non-existent interface specified in configuration" once, as keepalived does after parsing. */
function reportNonExistentInterface(ctx: BuildContext): void {
  if (!nonExistentInterfaceSeen(ctx) || ctx.scratch.nonExistentInterfaceReported) return;
  ctx.scratch.nonExistentInterfaceReported = true;
  ctx.diags.fatal('Non-existent interface specified in configuration', nonExistentInterfacePos(ctx));
}

/** The checks keepalived makes on vrrp_script / vrrp_track_process / track_file after reading the file. */
export function validateTrackers(config: Config, ctx: BuildContext): void {
  config.vrrp_scripts = config.vrrp_scripts.filter((s) => finishVrrpScript(s, ctx));
  config.vrrp_track_processes = config.vrrp_track_processes.filter((p) => finishTrackProcess(p, ctx));
  config.track_files = config.track_files.filter((t) => finishTrackFile(t, ctx));
  reportNonExistentInterface(ctx);
  if (!vrrpChecksRun(config, ctx)) return;

  const disabled = new Set<string>();
  ctx.scratch.disabledVrrpScripts = disabled;
  let flags = 0;
  config.vrrp_scripts = config.vrrp_scripts.filter((s) => {
    const f = checkScriptSecurity(s.script!, ctx, s.pos, `vrrp_script ${s.name}`, stateOf(s).runAs);
    flags |= f;
    if (f & SC_INHIBIT) ctx.diags.error(`Disabling track script ${s.name} due to insecure`, s.pos);
    else if (f & SC_NOTFOUND) ctx.diags.error(`Disabling track script ${s.name} since not found/accessible`, s.pos);
    if (scriptRuns(f)) return true;
    disabled.add(s.name);
    return false;
  });
  reportScriptSecurity(ctx, 'vrrp', flags);
}
