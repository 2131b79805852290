// global_defs: keepalived 2.2.7's global settings, with its value types, ranges, defaults and
// messages, and the checks it makes on them once the whole configuration is read.
// Times are in seconds (decimal where keepalived accepts fractions).
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsc, lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { readInt, trueFalse, type Args } from '../args.js';
import type { Pos } from '../diagnostics.js';
import { blockWords, defineBlock, type BlockDef, type BuildContext, type Keyword, type Support } from '../schema.js';
import type { Config } from '../types.js';
import { readScript, type ScriptSpec } from '../words.js';
import { isMulticast, parseSockAddr, readBool, readFrac, readNum, validateBfdInstances, validateGarpGroups } from './misc.js';

/** A notify FIFO: its path and, when given, the owner keepalived creates it for. */
export interface NotifyFifo {
  name: string;
  user?: string;
  group?: string;
}

/** lvs_sync_daemon IFNAME [inst VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]. */
export interface LvsSyncDaemon {
  interface: string;
  /** The vrrp_instance whose state drives the sync daemon (master/backup). */
  instance?: string;
  /** Sync id; validateGlobal defaults it to the instance's virtual_router_id, else 0. */
  id?: number;
  maxlen?: number;
  port?: number;
  ttl?: number;
  group?: string;
}

export type IncludeCheck = 'read' | 'match' | 'wildcard_match' | 'brace_match';

/**
 * global_defs. Fields are named as keepalived's keywords. Settings the vrrp instances take as
 * their defaults (vrrp_version, vrrp_strict, vrrp_garp_*, vrrp_lower_prio_no_advert,
 * vrrp_higher_prio_send_advert, vrrp_check_unicast_src, vrrp_skip_check_adv_addr,
 * vrrp_down_timer_adverts, vrrp_mcast_group4/6, smtp_alert_vrrp/smtp_alert,
 * vrrp_notify_priority_changes, default_interface) are final after validateGlobal, which runs
 * before validateVrrp.
 */
export interface GlobalDefs {
  // Process names (prctl names of the processes).
  process_name?: string;
  vrrp_process_name?: string;
  checker_process_name?: string;
  bfd_process_name?: string;

  // Identity and e-mail alerts.
  /** Default (when unset): the host's canonical name, resolved at start-up. */
  router_id?: string;
  notification_email: string[];
  /** Default with smtp_server: USER@HOSTNAME, resolved at start-up. */
  notification_email_from?: string;
  smtp_server?: { host: string; port: number };
  /** Default with smtp_server: the host name, resolved at start-up. */
  smtp_helo_name?: string;
  smtp_connect_timeout: number;
  /** Unset (undefined) means "not specified": instances and checkers then use their own default. */
  smtp_alert?: boolean;
  smtp_alert_vrrp?: boolean;
  smtp_alert_checker?: boolean;
  checker_log_all_failures: boolean;
  no_email_faults: boolean;
  no_checker_emails: boolean;
  rs_init_notifies: boolean;

  // Scripts run by the parent process.
  startup_script?: ScriptSpec;
  /** Seconds; 10 when startup_script is set and no timeout given. */
  startup_script_timeout?: number;
  shutdown_script?: ScriptSpec;
  shutdown_script_timeout?: number;
  script_user?: { user: string; group?: string };
  enable_script_security: boolean;

  // Notify FIFOs.
  notify_fifo?: NotifyFifo;
  notify_fifo_script?: ScriptSpec;
  vrrp_notify_fifo?: NotifyFifo;
  vrrp_notify_fifo_script?: ScriptSpec;
  vrrp_notify_priority_changes: boolean;
  fifo_write_vrrp_states_on_reload: boolean;
  lvs_notify_fifo?: NotifyFifo;
  lvs_notify_fifo_script?: ScriptSpec;

  // Scheduling of the processes.
  /** 0: not set; -1: disabled; otherwise the real-time priority ceiling. */
  max_auto_priority: number;
  /** Seconds (keepalived reads microseconds). */
  min_auto_priority_delay: number;
  vrrp_priority: number;
  vrrp_no_swap: boolean;
  vrrp_rt_priority?: number;
  vrrp_cpu_affinity?: number[];
  /** Seconds of RLIMIT_RTTIME (keepalived reads microseconds). */
  vrrp_rlimit_rttime: number;
  checker_priority: number;
  checker_no_swap: boolean;
  checker_rt_priority?: number;
  checker_cpu_affinity?: number[];
  checker_rlimit_rttime: number;
  bfd_priority: number;
  bfd_no_swap: boolean;
  bfd_rt_priority?: number;
  bfd_cpu_affinity?: number[];
  bfd_rlimit_rttime: number;

  // Interfaces.
  dynamic_interfaces: boolean;
  /** dynamic_interfaces allow_if_changes */
  allow_if_changes: boolean;
  default_interface: string;
  disable_local_igmp: boolean;

  // LVS.
  lvs_timeouts?: { tcp?: number; tcpfin?: number; udp?: number };
  lvs_flush: boolean;
  lvs_flush_on_stop: 'none' | 'full' | 'VS';
  lvs_sync_daemon?: LvsSyncDaemon;

  // VRRP defaults.
  vrrp_mcast_group4: string;
  vrrp_mcast_group6: string;
  vrrp_garp_master_delay: number;
  vrrp_garp_master_repeat: number;
  vrrp_garp_master_refresh: number;
  vrrp_garp_master_refresh_repeat: number;
  /** Defaults to vrrp_garp_master_delay (set by validateGlobal). */
  vrrp_garp_lower_prio_delay?: number;
  /** Defaults to vrrp_garp_master_repeat (set by validateGlobal). */
  vrrp_garp_lower_prio_repeat?: number;
  vrrp_down_timer_adverts: number;
  vrrp_garp_interval: number;
  vrrp_gna_interval: number;
  vrrp_min_garp: boolean;
  vrrp_garp_extra_if?: { delay: number; all: boolean };
  vrrp_lower_prio_no_advert: boolean;
  vrrp_higher_prio_send_advert: boolean;
  vrrp_version: 2 | 3;
  vrrp_check_unicast_src: boolean;
  vrrp_skip_check_adv_addr: boolean;
  vrrp_strict: boolean;
  vrrp_startup_delay: number;
  log_unknown_vrids: boolean;
  vmac_prefix?: string;
  vmac_addr_prefix?: string;

  // Firewall (this keepalived build has nftables, not iptables).
  nftables?: string;
  nftables_priority?: number;
  nftables_ifindex: boolean;
  nftables_counters: boolean;
  nftables_ipvs?: string;
  nftables_ipvs_priority?: number;
  nftables_ipvs_start_fwmark?: number;

  // SNMP and DBus.
  snmp_socket?: string;
  enable_traps: boolean;
  enable_snmp_vrrp: boolean;
  enable_snmp_rfcv2: boolean;
  enable_snmp_rfcv3: boolean;
  enable_snmp_checker: boolean;
  enable_dbus: boolean;
  dbus_service_name?: string;

  // Netlink and receive buffers.
  vrrp_netlink_cmd_rcv_bufs?: number;
  vrrp_netlink_cmd_rcv_bufs_force: boolean;
  vrrp_netlink_monitor_rcv_bufs?: number;
  vrrp_netlink_monitor_rcv_bufs_force: boolean;
  process_monitor_rcv_bufs?: number;
  process_monitor_rcv_bufs_force: boolean;
  lvs_netlink_cmd_rcv_bufs?: number;
  lvs_netlink_cmd_rcv_bufs_force: boolean;
  lvs_netlink_monitor_rcv_bufs?: number;
  lvs_netlink_monitor_rcv_bufs_force: boolean;
  vrrp_rx_bufs_policy?: 'MTU' | 'ADVERT' | number;
  vrrp_rx_bufs_multiplier: number;

  // Files, reload and miscellany.
  umask?: number;
  random_seed?: number;
  /** Log file of the config check run on reload ("/dev/null" when given without a file). */
  reload_check_config?: string;
  reload_time_file?: string;
  reload_repeat: boolean;
  /** "" means keepalived's default reload file. */
  reload_file?: string;
  include_check?: IncludeCheck[];
  config_save_dir?: string;
  tmp_config_directory?: string;
  data_use_instance: boolean;
}

export function newGlobalDefs(): GlobalDefs {
  return {
    notification_email: [],
    smtp_connect_timeout: 30,
    checker_log_all_failures: false,
    no_email_faults: false,
    no_checker_emails: false,
    rs_init_notifies: false,
    enable_script_security: false,
    vrrp_notify_priority_changes: false,
    fifo_write_vrrp_states_on_reload: false,
    max_auto_priority: 0,
    min_auto_priority_delay: 1,
    vrrp_priority: 0,
    vrrp_no_swap: false,
    vrrp_rlimit_rttime: RT_RLIMIT_DEFAULT,
    checker_priority: 0,
    checker_no_swap: false,
    checker_rlimit_rttime: RT_RLIMIT_DEFAULT,
    bfd_priority: 0,
    bfd_no_swap: false,
    bfd_rlimit_rttime: RT_RLIMIT_DEFAULT,
    dynamic_interfaces: false,
    allow_if_changes: false,
    default_interface: 'eth0',
    disable_local_igmp: false,
    lvs_flush: false,
    lvs_flush_on_stop: 'none',
    vrrp_mcast_group4: '224.0.0.18',
    vrrp_mcast_group6: 'ff02::12',
    vrrp_garp_master_delay: GARP_DELAY,
    vrrp_garp_master_repeat: GARP_REP,
    vrrp_garp_master_refresh: GARP_REFRESH,
    vrrp_garp_master_refresh_repeat: GARP_REFRESH_REP,
    vrrp_down_timer_adverts: 3,
    vrrp_garp_interval: 0,
    vrrp_gna_interval: 0,
    vrrp_min_garp: false,
    vrrp_lower_prio_no_advert: false,
    vrrp_higher_prio_send_advert: false,
    vrrp_version: 2,
    vrrp_check_unicast_src: false,
    vrrp_skip_check_adv_addr: false,
    vrrp_strict: false,
    vrrp_startup_delay: 0,
    log_unknown_vrids: false,
    nftables_ifindex: false,
    nftables_counters: false,
    enable_traps: false,
    enable_snmp_vrrp: false,
    enable_snmp_rfcv2: false,
    enable_snmp_rfcv3: false,
    enable_snmp_checker: false,
    enable_dbus: false,
    vrrp_netlink_cmd_rcv_bufs_force: false,
    vrrp_netlink_monitor_rcv_bufs_force: false,
    process_monitor_rcv_bufs_force: false,
    lvs_netlink_cmd_rcv_bufs_force: false,
    lvs_netlink_monitor_rcv_bufs_force: false,
    vrrp_rx_bufs_multiplier: 3,
    reload_repeat: false,
    data_use_instance: false,
  };
}

// keepalived's built-in values.
const RT_RLIMIT_DEFAULT = 0.01; // 10000 us
const GARP_DELAY = 5;
const GARP_REP = 5;
const GARP_REFRESH = 0;
const GARP_REFRESH_REP = 1;
const UINT_MAX = 0xffffffff;
const INT_MAX = 0x7fffffff;
/** keepalived keeps times as unsigned microseconds, so whole-second settings top out here. */
const MAX_SECS = Math.floor(UINT_MAX / 1e6);
/** Linux TASK_COMM_LEN - 1. */
const PROCESS_NAME_MAX = 15;
const LVS_MAX_TIMEOUT = 86400 * 31;
const IP_VS_IFNAME_MAXLEN = 16;
const NFT_TABLE_MAXNAMELEN = 32;
const PATH_MAX = 4096;
const SCHED_RR_MIN = 1;
const SCHED_RR_MAX = 99;
const IGMP_REPORTS = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';

/** ff02::/16 style: IPv6 multicast with link-local scope. */
function isLinkLocalMulticast6(ip: string): boolean {
  const h = ip.startsWith('::') ? 0 : parseInt(ip.split(':')[0]!, 16);
  return h >> 8 === 0xff && (h & 0x0f) === 2;
}

// ---------------------------------------------------------------------------------------------
// Users, groups and script files, as keepalived resolves them when it reads a script line.

let passwdCache: Map<string, { uid: number; gid: number }> | undefined;
let groupCache: Map<string, number> | undefined;
let cacheStamp = '';

/** The caches live as long as /etc/passwd and /etc/group do not change (a daemon reloads). */
function checkCaches(): void {
  let stamp = '';
  try {
    stamp = `${statSync('/etc/passwd').mtimeMs}:${statSync('/etc/group').mtimeMs}`;
  } catch {
    // no files: keep whatever getent says
  }
  if (stamp !== cacheStamp) {
    cacheStamp = stamp;
    passwdCache = groupCache = undefined;
  }
}

function readDb(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** getent for names /etc does not know (LDAP, systemd dynamic users ...). */
function getent(db: string, name: string): string[] | undefined {
  if (!name || name.startsWith('-')) return undefined;
  const r = spawnSync('getent', [db, name], { encoding: 'utf8', timeout: 2000 });
  const f = r.status === 0 && r.stdout ? r.stdout.trim().split('\n')[0]!.split(':') : undefined;
  // getent also looks a number up as an id; keepalived's getpwnam()/getgrnam() match names only.
  return f && f[0] === name ? f : undefined;
}

export function lookupUser(name: string): { uid: number; gid: number } | undefined {
  checkCaches();
  if (!passwdCache) {
    passwdCache = new Map();
    for (const f of readDb('/etc/passwd')) if (f.length >= 4) passwdCache.set(f[0]!, { uid: Number(f[2]), gid: Number(f[3]) });
  }
  const known = passwdCache.get(name);
  if (known) return known;
  const f = getent('passwd', name);
  return f && f.length >= 4 ? { uid: Number(f[2]), gid: Number(f[3]) } : undefined;
}

export function lookupGroup(name: string): number | undefined {
  checkCaches();
  if (!groupCache) {
    groupCache = new Map();
    for (const f of readDb('/etc/group')) if (f.length >= 3) groupCache.set(f[0]!, Number(f[2]));
  }
  const known = groupCache.get(name);
  if (known !== undefined) return known;
  const f = getent('group', name);
  return f && f.length >= 3 ? Number(f[2]) : undefined;
}

/** The default user for scripts given without one (keepalived's get_default_script_user). */
interface ScriptUserState {
  resolved: boolean;
  failed: boolean;
  user?: string;
  group?: string;
}

const SCRIPT_USER = 'global.scriptUser';

function scriptUserState(ctx: BuildContext): ScriptUserState {
  let st = ctx.scratch[SCRIPT_USER] as ScriptUserState | undefined;
  if (!st) {
    st = { resolved: false, failed: false };
    ctx.scratch[SCRIPT_USER] = st;
  }
  return st;
}

/**
 * The user scripts without an explicit user run as: script_user, else keepalived_script if that
 * user exists, else root. Once chosen it stays chosen; when keepalived_script is missing and
 * script security is on at that moment, keepalived reports it once and drops every such script.
 * Returns undefined when scripts without a user are dropped. Other blocks' scripts (read by
 * keepalived after all of global_defs) should call this from their validate step.
 */
export function defaultScriptUser(ctx: BuildContext, pos?: Pos): { user?: string; group?: string } | undefined {
  const st = scriptUserState(ctx);
  if (st.failed) return undefined;
  if (!st.resolved) {
    st.resolved = true;
    if (lookupUser('keepalived_script')) st.user = 'keepalived_script';
    else if (ctx.config.global_defs.enable_script_security) {
      ctx.diags.error('Unable to set default user keepalived_script for script', pos);
      st.failed = true;
      return undefined;
    }
  }
  const out: { user?: string; group?: string } = {};
  if (st.user !== undefined) out.user = st.user;
  if (st.group !== undefined) out.group = st.group;
  return out;
}

function userGroupExist(user: string, group: string | undefined): boolean {
  return lookupUser(user) !== undefined && (group === undefined || lookupGroup(group) !== undefined);
}

/** notify_script_init: the script with its user checked; undefined when keepalived would drop it. */
function scriptWithUser(a: Args, ctx: BuildContext, type: string): ScriptSpec | undefined {
  const spec = readScript(a);
  if (!spec) return undefined;
  if (spec.user !== undefined) {
    if (userGroupExist(spec.user, spec.group)) return spec;
    a.hint(`Invalid user/group for ${type} script ${spec.argv[0]} - keepalived ignores the script`);
    return undefined;
  }
  if (defaultScriptUser(ctx, a.pos)) return spec;
  a.hint(`Failed to set default user for ${type} script ${spec.argv[0]} - keepalived ignores the script`);
  return undefined;
}

export interface ScriptFileCheck {
  /** The command names a file keepalived would run (keepalived's SC_ISSCRIPT). */
  isScript: boolean;
  path?: string;
  executable: boolean;
  /** Some part of the path is writable by non-root (keepalived's SC_INSECURE). */
  insecure: boolean;
}

function canExecute(st: Stats, uid: number, gid: number): boolean {
  if (uid === 0) return (st.mode & 0o111) !== 0;
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  if (st.gid === gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

function idsOf(spec: ScriptSpec, ctx: BuildContext): { uid: number; gid: number } {
  const user = spec.user ?? scriptUserState(ctx).user;
  const ids = user !== undefined ? lookupUser(user) : undefined;
  const uid = ids?.uid ?? process.getuid?.() ?? 0;
  let gid = ids?.gid ?? process.getgid?.() ?? 0;
  const group = spec.user !== undefined ? spec.group : scriptUserState(ctx).group;
  if (group !== undefined) gid = lookupGroup(group) ?? gid;
  return { uid, gid };
}

/** PATH search for a bare command name (keepalived's find_path). */
function searchPath(cmd: string, uid: number, gid: number): string | undefined {
  for (const dir of (process.env.PATH ?? '/bin:/usr/bin').split(':')) {
    const file = dir ? `${dir}/${cmd}` : cmd;
    try {
      const st = statSync(file);
      if (st.isFile() && canExecute(st, uid, gid)) return file;
    } catch {
      // Not here: try the next directory.
    }
  }
  return undefined;
}

/** Every directory and the file itself must be root's and not group/world writable. */
function pathInsecure(path: string): boolean {
  const parts = path.split('/');
  for (let n = 1; n <= parts.length; n++) {
    const p = n === 1 ? '/' : parts.slice(0, n).join('/');
    if (n > 1 && parts[n - 1] === '') continue;
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return false; // keepalived disables the script instead: not an insecurity
    }
    const shared = (st.isDirectory() && !(st.mode & 0o1000)) || st.isFile();
    if (st.uid !== 0 || (shared && ((st.gid !== 0 && st.mode & 0o020) || st.mode & 0o002))) return true;
  }
  return false;
}

/** keepalived's check_script_secure, as far as the configuration check needs it. */
export function inspectScript(spec: ScriptSpec, ctx: BuildContext): ScriptFileCheck {
  const none: ScriptFileCheck = { isScript: false, executable: false, insecure: false };
  const cmd = spec.argv[0] ?? '';
  if (/^<[ \t]*\//.test(cmd)) return none; // "</file": a readability test, nothing is run
  const { uid, gid } = idsOf(spec, ctx);
  const given = cmd.includes('/') ? cmd : searchPath(cmd, uid, gid);
  if (given === undefined) return none;
  let real: string;
  let st: Stats;
  try {
    real = realpathSync(given);
    st = statSync(real);
  } catch {
    return none;
  }
  const executable = canExecute(st, uid, gid);
  const setidRoot = (st.uid === 0 && st.mode & 0o4100) === 0o4100 || (st.gid === 0 && (st.mode & 0o2010) === 0o2010);
  const needsProtection = executable && (uid === 0 || gid === 0 || setidRoot);
  const insecure = needsProtection && (pathInsecure(given) || (real !== given && pathInsecure(real)));
  return { isScript: true, path: real, executable, insecure };
}

// ---------------------------------------------------------------------------------------------
// Keyword helpers.

type K = Keyword<GlobalDefs>;
type Flag = { [P in keyof GlobalDefs]-?: GlobalDefs[P] extends boolean ? P : never }[keyof GlobalDefs];

const NOT_YET = 'not-yet' as const;

/** Remember where a keyword was, for checks made after the whole file is read. */
const POS = 'global.pos';
function remember(ctx: BuildContext, a: Args): void {
  let m = ctx.scratch[POS] as Map<string, Pos> | undefined;
  if (!m) {
    m = new Map();
    ctx.scratch[POS] = m;
  }
  m.set(a.keyword, a.pos);
}
function posOf(ctx: BuildContext, keyword: string): Pos | undefined {
  return (ctx.scratch[POS] as Map<string, Pos> | undefined)?.get(keyword);
}

function flag(name: Flag, doc: string, extra: Partial<K> = {}): K {
  return { name, doc, default: 'off', handle: (g) => { g[name] = true; }, ...extra };
}

/** FLAG [true|false]: absent value means true. */
function boolKw(name: Flag, doc: string, fail: (w: string) => string, extra: Partial<K> = {}): K {
  return {
    name, args: '[BOOL]', doc, default: 'off', ...extra,
    handle: (g, a) => { const v = readBool(a, fail); if (v !== undefined) g[name] = v; },
  };
}

const invalidGlobal = (name: string) => (w: string): string => `Invalid value '${w}' for global ${name} specified`;

function processName(name: 'process_name' | 'vrrp_process_name' | 'checker_process_name' | 'bfd_process_name', a: Args, g: GlobalDefs, value?: string): void {
  const v = value ?? a.need(1);
  if (v === undefined) return;
  if (v.length > PROCESS_NAME_MAX) a.error(`Process name ${v} more than ${PROCESS_NAME_MAX} characters, truncating`, 1);
  g[name] = v.slice(0, PROCESS_NAME_MAX);
}

type Proc = 'vrrp' | 'checker' | 'bfd';
const PROC_NOTE = 'process priorities, CPU affinity and rlimits are not applied by keel';
const NO_SWAP_NOTE = 'mlockall() makes V8 (Node) abort; keel logs that it is not applied';
/** What keel applies to its VRRP and checker processes (src/daemon/process-common.ts); BFD has none. */
const procSupport = (p: Proc): { support: Support; note?: string } => (p === 'bfd' ? { support: NOT_YET, note: PROC_NOTE } : { support: 'yes' });

/** Scheduling keywords of one process (vrrp_, checker_ or bfd_). */
function processKeywords(p: Proc): K[] {
  const prio = `${p}_priority` as const;
  const rt = `${p}_rt_priority` as const;
  const cpus = `${p}_cpu_affinity` as const;
  const rlimit = `${p}_rlimit_rttime` as const;
  const readRlimit = (g: GlobalDefs, a: Args): void => {
    const v = readNum(a, 1, 1, UINT_MAX, () => `Invalid ${p} real-time limit - ${a.word(1)}`);
    // keepalived stores 0 (no limit) after a bad value; it halves the limit, so 1 us becomes 2.
    g[rlimit] = v === undefined ? 0 : Math.max(v, 2) / 1e6;
  };
  return [
    {
      name: prio, args: '-20..19', doc: `Nice value of the ${p} process`, default: '0', ...procSupport(p),
      handle: (g, a) => {
        if (!a.has(1)) {
          a.error(`No ${p} process priority specified`);
          g[prio] = 0;
          return;
        }
        g[prio] = readNum(a, 1, -20, 19, () => `Invalid ${p} process priority specified`) ?? 0;
      },
    },
    flag(`${p}_no_swap`, `Lock the ${p} process in memory`, p === 'bfd' ? { support: NOT_YET, note: PROC_NOTE } : { support: 'never', note: NO_SWAP_NOTE }),
    {
      name: rt, args: '1..99', doc: `SCHED_RR real-time priority of the ${p} process`, ...procSupport(p),
      handle: (g, a) => {
        if (!a.has(1)) return a.error(`No ${p} process real-time priority specified`);
        const v = readNum(a, 1, -INT_MAX - 1, INT_MAX, (w) => `${p} process real-time priority '${w}' invalid`);
        if (v === undefined) return;
        if (v < SCHED_RR_MIN) a.error(`${p} process real-time priority ${v} less than minimum ${SCHED_RR_MIN} - setting to minimum`, 1);
        else if (v > SCHED_RR_MAX) a.error(`${p} process real-time priority ${v} greater than maximum ${SCHED_RR_MAX} - setting to maximum`, 1);
        g[rt] = Math.min(Math.max(v, SCHED_RR_MIN), SCHED_RR_MAX);
      },
    },
    {
      name: cpus, args: 'CPU...', doc: `CPUs the ${p} process may run on`, ...procSupport(p),
      handle: (g, a) => {
        if (!a.has(1)) return a.error(`No ${p} cpu_id set specified`);
        const ncpu = availableParallelism();
        const set: number[] = [];
        for (let i = 1; i < a.length; i++) {
          const c = readNum(a, i, 0, ncpu - 1, () => `Invalid cpu_id:${a.word(i)} specified for ${p} process`);
          if (c === undefined) {
            delete g[cpus]; // keepalived clears the whole set at the first bad CPU
            return;
          }
          if (!set.includes(c)) set.push(c);
        }
        g[cpus] = set;
      },
    },
    {
      name: rlimit, args: 'USECS', doc: `RLIMIT_RTTIME of the ${p} process (microseconds)`, default: '10000',
      ...(p === 'bfd' ? { support: NOT_YET, note: PROC_NOTE } : { support: 'yes' as const, note: 'soft limit only: SIGXCPU is logged; the hard limit stays unlimited' }),
      handle: readRlimit,
    },
    {
      name: `${p}_rlimit_rtime`, args: 'USECS', doc: `Old name of ${rlimit}`, ...procSupport(p),
      // keepalived only logs this deprecation, so `-t` still passes.
      handle: (g, a) => { a.hint(`Keyword '${a.keyword}' is deprecated - please use '${rlimit}'`); readRlimit(g, a); },
    },
  ];
}

const BUFS_NOTE = 'keel sizes its netlink sockets itself';

/** NAME_rcv_bufs BYTES and NAME_rcv_bufs_force [BOOL]. */
function rcvBufKeywords(base: 'vrrp_netlink_cmd' | 'vrrp_netlink_monitor' | 'process_monitor' | 'lvs_netlink_cmd' | 'lvs_netlink_monitor'): K[] {
  const size = `${base}_rcv_bufs` as const;
  const force = `${base}_rcv_bufs_force` as const;
  return [
    {
      name: size, args: 'BYTES', doc: `Receive buffer size of the ${base} netlink socket`, support: NOT_YET, note: BUFS_NOTE,
      handle: (g, a) => {
        if (!a.has(1)) return a.error(`${base}_rcv_bufs size missing`);
        const v = readNum(a, 1, 0, UINT_MAX, (w) => `${base}_rcv_bufs size (${w}) invalid`);
        if (v) g[size] = v; // 0 keeps the default
      },
    },
    boolKw(force, `Use SO_RCVBUFFORCE for the ${base} socket`, invalidGlobal(force), { support: NOT_YET, note: BUFS_NOTE }),
  ];
}

type FifoPrefix = '' | 'vrrp_' | 'lvs_';

/** PREFIXnotify_fifo FIFO [USER [GROUP]] and PREFIXnotify_fifo_script SCRIPT [USER [GROUP]]. */
function fifoKeywords(prefix: FifoPrefix, what: string): K[] {
  const fifo = `${prefix}notify_fifo` as const;
  const script = `${prefix}notify_fifo_script` as const;
  return [
    {
      name: fifo, args: 'FIFO [USER [GROUP]]', doc: `FIFO keepalived writes ${what} state changes to`,
      handle: (g, a, ctx) => {
        const path = a.word(1);
        if (path === undefined) return a.error(`No ${prefix}notify_fifo name specified`);
        if (g[fifo]) return a.error(`${prefix}notify_fifo already specified - ignoring ${path}`, 1);
        remember(ctx, a);
        const f: NotifyFifo = { name: path };
        const user = a.word(2);
        if (user !== undefined) {
          const group = a.word(3);
          if (!userGroupExist(user, group)) {
            a.hint(`Invalid user/group for ${prefix} fifo ${path} - keepalived ignores the FIFO`, 2);
            return;
          }
          f.user = user;
          if (group !== undefined) f.group = group;
        } else if (!defaultScriptUser(ctx, a.pos)) {
          a.hint(`Failed to set default user for ${prefix} fifo ${path} - keepalived ignores the FIFO`);
          return;
        }
        g[fifo] = f;
      },
    },
    {
      name: script, args: 'SCRIPT [USER [GROUP]]', doc: `Script keepalived starts to read ${fifo} (the FIFO name is its last argument)`,
      handle: (g, a, ctx) => {
        if (!a.has(1)) return a.error(`No ${prefix}notify_fifo_script specified`);
        if (g[script]) return a.error(`${prefix}notify_fifo_script already specified - ignoring ${a.word(1)}`, 1);
        remember(ctx, a);
        const s = scriptWithUser(a, ctx, `${prefix}notify_fifo`);
        if (s) g[script] = s;
      },
    },
  ];
}

function startStopScript(kind: 'startup' | 'shutdown'): K[] {
  const script = `${kind}_script` as const;
  const timeout = `${kind}_script_timeout` as const;
  return [
    {
      name: script, args: 'SCRIPT [USER [GROUP]]', doc: `Script the parent process runs at ${kind}`,
      handle: (g, a, ctx) => {
        if (g[script]) return a.error(`${kind} script already specified`);
        if (!a.has(1)) return a.error(`${kind} script missing`);
        remember(ctx, a);
        const s = scriptWithUser(a, ctx, kind);
        if (!s) return a.error(`Invalid ${kind} script`);
        g[script] = s;
      },
    },
    {
      name: timeout, args: 'SECS', doc: `Seconds to wait for the ${kind} script (1..1000)`, default: '10',
      handle: (g, a) => {
        if (!a.has(1)) return a.error(`${kind}_script_timeout requires value`);
        const v = readNum(a, 1, 1, 1000, (w) => `${kind}_script_timeout '${w}' must be in [1, 1000] - ignoring`);
        if (v !== undefined) g[timeout] = v;
      },
    },
  ];
}

function mcastGroup(name: 'vrrp_mcast_group4' | 'vrrp_mcast_group6', family: 4 | 6): K {
  return {
    name, args: 'IP', default: family === 4 ? '224.0.0.18' : 'ff02::12', doc: `Multicast group for IPv${family} VRRP adverts`,
    handle: (g, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      const addr = parseSockAddr(w);
      if (!addr) return a.error(`Can't parse ${name} [${w}]. Skipping`, 1);
      if (addr.family !== family) return a.error(`${name} [${w}] is not IPv${family}. Skipping`, 1);
      if (!isMulticast(addr.ip)) return a.error(`${name} [${w}] is not multicast. Skipping`, 1);
      // keepalived warns (and so fails -t) but keeps the address.
      if (family === 6 && !isLinkLocalMulticast6(addr.ip)) a.warning(`${name} [${w}] should be link-local multicast.`, 1);
      g[name] = addr.ip;
    },
  };
}

/** A repeat count where keepalived turns 0 into 1 with a complaint. */
function repeatKw(name: 'vrrp_garp_master_repeat' | 'vrrp_garp_master_refresh_repeat', doc: string, dflt: string): K {
  return {
    name, args: 'N', doc, default: dflt,
    handle: (g, a) => {
      const v = readNum(a, 1, 0, UINT_MAX, (w) => `${name} '${w}' invalid - ignoring`);
      if (v === undefined) return;
      if (v === 0) a.error(`${name} must be greater than 0, setting to 1`, 1);
      g[name] = Math.max(v, 1);
    },
  };
}

/** Seconds between gratuitous ARPs / NAs on one interface (fractions allowed). */
function garpSpacing(name: 'vrrp_garp_interval' | 'vrrp_gna_interval', what: string): K {
  return {
    name, args: 'SECS', doc: `Minimum time between ${what} sent on an interface`, default: '0',
    handle: (g, a) => {
      const v = readFrac(a, 1, 0.000001, UINT_MAX / 1e6, 6, (w) => `${name} '${w}' is invalid`);
      if (v !== undefined) g[name] = v;
      if (g[name] >= 1) a.hint(`The ${name} is very large - ${a.word(1)} seconds`, 1);
    },
  };
}

/** umask as a number (022, 0x12) or as IRUSR|IWGRP|... bits. */
function readUmask(a: Args): number | undefined {
  const first = a.need(1);
  if (first === undefined) return undefined;
  if (/^[0-9]/.test(first)) {
    if (a.length !== 2) {
      a.error('Extra parameter(s) to umask option', 2);
      return undefined;
    }
    const v = readInt(first, 0, 0o777, 0, () => undefined);
    if (v === undefined) a.error(`invalid umask value ${first}`, 1);
    return v;
  }
  const BITS: Record<string, number> = {
    IRUSR: 0o400, IWUSR: 0o200, IXUSR: 0o100, IRGRP: 0o040, IWGRP: 0o020, IXGRP: 0o010, IROTH: 0o004, IWOTH: 0o002, IXOTH: 0o001,
  };
  let bits = 0;
  let needOr = false;
  for (let i = 1; i < a.length; i++) {
    const w = a.word(i)!;
    for (let p = 0; p < w.length;) {
      if (needOr) {
        if (w[p] !== '|') {
          a.error(`Invalid umask syntax ${w}`, i);
          return undefined;
        }
        needOr = false;
        p++;
        continue;
      }
      const bit = BITS[w.slice(p, p + 5)];
      if (bit === undefined) {
        a.error(`Unknown umask bit ${w.slice(p)}`, i);
        return undefined;
      }
      bits |= bit;
      p += 5;
      needOr = true;
    }
  }
  if (!needOr) {
    a.error('umask missing bit value');
    return undefined;
  }
  return bits;
}

const INCLUDE_FLAGS: readonly IncludeCheck[] = ['read', 'match', 'wildcard_match', 'brace_match'];

/** include_check [+|-]TYPE...: which include problems are errors. */
function readIncludeCheck(a: Args, current: IncludeCheck[] | undefined): IncludeCheck[] {
  if (a.length < 2) return [...INCLUDE_FLAGS];
  const set = new Set<IncludeCheck>(current ?? []);
  for (let i = 1; i < a.length; i++) {
    const w = a.word(i)!;
    const mode = w[0] === '-' ? -1 : w[0] === '+' ? 1 : 0;
    if (mode === 0) {
      if (i !== 1) {
        a.error(`Duplicate include_check '${w}' specified - ignoring`, i);
        continue;
      }
      set.clear();
    }
    const type = mode ? w.slice(1) : w;
    const f = INCLUDE_FLAGS.find((x) => x === type);
    if (!f) {
      a.error(`Unknown include_check type '${type}' - ignoring`, i);
      continue;
    }
    if (mode === 0) set.add('read').add(f);
    else if (mode === 1) set.add(f);
    else set.delete(f);
  }
  return INCLUDE_FLAGS.filter((f) => set.has(f));
}

/** config_save_dir: keepalived (the parent) creates it when missing. */
function checkSaveDir(a: Args, dir: string): boolean {
  try {
    if (statSync(dir).isDirectory()) return true;
    a.error(`config_save_dir ${dir} exists and is not a directory`, 1);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      a.error(`config_save_dir ${dir} error - ${code}`, 1);
      return false;
    }
  }
  const parent = dir.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || (dir.startsWith('/') ? '/' : '.');
  try {
    if (statSync(parent).isDirectory()) return true;
  } catch {
    // fall through: mkdir would fail
  }
  a.error(`Unable to create config_save_dir ${dir} (No such file or directory)`, 1);
  return false;
}

/** lvs_sync_daemon's numeric options: name, range. */
const SYNCD_OPTIONS: Record<string, [number, number]> = { maxlen: [1, 65535 - 20 - 8], port: [1, 65535], ttl: [1, 255] };

function readLvsSyncDaemon(g: GlobalDefs, a: Args): void {
  if (g.lvs_sync_daemon) {
    const d = g.lvs_sync_daemon;
    return a.error(`lvs_sync_daemon has already been specified as ${d.interface} ${d.instance ?? ''} - ignoring`);
  }
  const ifname = a.word(1);
  if (ifname === undefined) return a.error('lvs_sync_daemon requires interface');
  if (ifname.length >= IP_VS_IFNAME_MAXLEN) return a.error(`lvs_sync_daemon interface name '${ifname}' too long - ignoring`, 1);
  const d: LvsSyncDaemon = { interface: ifname };
  g.lvs_sync_daemon = d;
  for (let i = 2; i < a.length; i++) {
    const w = a.word(i)!;
    const last = i === a.length - 1;
    if (w === 'inst') {
      if (d.instance !== undefined) a.error(`lvs_sync_daemon vrrp instance has already been specified as ${d.instance} - ignoring`, i);
      else {
        const n = a.need(i + 1);
        if (n !== undefined) d.instance = n;
      }
      i++;
    } else if (w === 'id') {
      if (last) a.error('No value specified for lvs_sync_daemon id, defaulting to vrid', i);
      else {
        const v = readNum(a, ++i, 0, 255, (x) => `Invalid syncid (${x}) - defaulting to vrid`);
        if (v !== undefined) d.id = v;
      }
    } else if (Object.hasOwn(SYNCD_OPTIONS, w)) {
      const opt = w as 'maxlen' | 'port' | 'ttl';
      if (last) a.error(`No value specified for lvs_sync_daemon ${opt} - ignoring`, i);
      else {
        const [min, max] = SYNCD_OPTIONS[opt]!;
        const v = readNum(a, ++i, min, max, (x) => `Invalid lvs_sync_daemon ${opt} (${x}) - ignoring`);
        if (v !== undefined) d[opt] = v;
      }
    } else if (w === 'group') {
      if (last) a.error('No value specified for lvs_sync_daemon group - ignoring', i);
      else {
        const x = a.word(++i)!;
        const addr = parseSockAddr(x);
        if (!addr) a.error(`Invalid lvs_sync_daemon group (${x}) - ignoring`, i);
        else if (!isMulticast(addr.ip)) a.error(`lvs_sync_daemon group address ${x} is not multicast - ignoring`, i);
        else d.group = addr.ip;
      }
    } else if (i === 2) {
      d.instance = w; // the old form: lvs_sync_daemon IFNAME VRRP_INSTANCE [SYNC_ID]
    } else if (i === 3) {
      const v = readNum(a, 3, 0, 255, (x) => `Invalid syncid (${x}) - defaulting to vrid`);
      if (v !== undefined) {
        a.error('Please use keyword "id" before lvs_sync_daemon SYNCID', 3);
        d.id = v;
      }
    } else a.error(`Unknown option ${w} specified for lvs_sync_daemon`, i);
  }
}

function readLvsTimeouts(g: GlobalDefs, a: Args): void {
  if (a.length < 3) return a.error('lvs_timeouts requires at least one option');
  const t = (g.lvs_timeouts ??= {});
  for (let i = 1; i < a.length; i++) {
    const w = a.word(i)!;
    if (w !== 'tcp' && w !== 'tcpfin' && w !== 'udp') {
      a.error(`Unknown option ${w} specified for lvs_timeouts`, i);
      continue;
    }
    if (i === a.length - 1) {
      a.error(`No value specified for lvs_timeout ${w} - ignoring`, i);
      continue;
    }
    const v = readNum(a, ++i, 0, LVS_MAX_TIMEOUT, (x) => `Invalid lvs_timeout ${w} (${x}) - ignoring`);
    if (v !== undefined) t[w] = v;
  }
}

/** vrrp_rx_bufs_policy MTU|ADVERT|SIZE: accumulates over lines as keepalived's bit mask does. */
const RX_POLICY = 'global.rxBufsPolicy';
function readRxBufsPolicy(g: GlobalDefs, a: Args, ctx: BuildContext): void {
  if (!a.has(1)) return a.error('vrrp_rx_bufs_policy missing');
  const st = (ctx.scratch[RX_POLICY] ??= { mtu: false, advert: false, size: undefined }) as { mtu: boolean; advert: boolean; size?: number };
  for (let i = 1; i < a.length; i++) {
    const w = a.word(i)!;
    if (w.toUpperCase() === 'MTU') st.mtu = true;
    else if (w.toUpperCase() === 'ADVERT') st.advert = true;
    else {
      // keepalived reads the size from the first word whichever word this is.
      const v = readInt(a.word(1)!, 0, UINT_MAX, 10, () => undefined);
      if (v === undefined) a.error(`Invalid vrrp_rx_bufs_policy ${w}`, i);
      else st.size = v;
    }
  }
  if (st.size !== undefined && (st.mtu || st.advert)) {
    a.error('Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy');
    st.mtu = st.advert = false;
  } else if (st.mtu && st.advert) {
    a.error('Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT');
    st.advert = false;
  }
  const policy = st.size ?? (st.mtu ? 'MTU' : st.advert ? 'ADVERT' : undefined);
  if (policy === undefined) delete g.vrrp_rx_bufs_policy;
  else g.vrrp_rx_bufs_policy = policy;
}

function readSmtpServer(g: GlobalDefs, a: Args): void {
  const host = a.need(1);
  if (host === undefined) return;
  const portWord = a.word(2) ?? '25';
  let why = '';
  const port = readInt(portWord, 1, 65535, 10, (m) => { why = m; });
  // An address is taken as written; anything else (or with '-' or '/') is resolved as a name.
  const ok = port !== undefined && ((!/[-/]/.test(host) && isIP(host) !== 0) || resolves(host));
  if (!ok) return a.error(`Invalid smtp server ${host} ${portWord}${why ? ` (${why})` : ''}`, 1);
  g.smtp_server = { host, port: port! };
}

/** getaddrinfo through getent, as keepalived resolves smtp_server names when it reads them. */
function resolves(host: string): boolean {
  if (host.startsWith('-')) return false;
  const r = spawnSync('getent', ['ahosts', host], { timeout: 5000 });
  return r.error !== undefined || r.status === 0; // no getent here: cannot tell, so accept
}

function readGarpExtraIf(g: GlobalDefs, a: Args): void {
  let delay = 0;
  let all = false;
  for (let i = 1; i < a.length; i++) {
    if (a.word(i) === 'all') {
      all = true;
      continue;
    }
    const v = readNum(a, i, 1, 86400, (w) => `${a.keyword} '${w}' invalid - ignoring`);
    if (v === undefined) return;
    delay = v;
  }
  if (!delay) return a.error(`${a.keyword} specified without time - ignoring`);
  g.vrrp_garp_extra_if = { delay, all };
}

/** vrrp_min_garp: one GARP, no repeats, unless those were already set to something else. */
function applyMinGarp(g: GlobalDefs, a: Args): void {
  const on = a.has(1) ? trueFalse(a.word(1)!) : true;
  if (on === undefined) return a.error('Invalid value for vrrp_min_garp specified', 1);
  if (!on) return;
  g.vrrp_min_garp = true;
  if (g.vrrp_garp_master_repeat === GARP_REP) g.vrrp_garp_master_repeat = 1;
  if (g.vrrp_garp_master_refresh === GARP_REFRESH) g.vrrp_garp_master_refresh = 0;
  if (g.vrrp_garp_master_refresh_repeat === GARP_REFRESH_REP) g.vrrp_garp_master_refresh_repeat = 0;
  if (g.vrrp_garp_master_delay === GARP_DELAY) g.vrrp_garp_master_delay = 0;
}

function readNftTable(g: GlobalDefs, a: Args, which: 'nftables' | 'nftables_ipvs'): void {
  const label = which === 'nftables' ? 'nftables' : 'ipvs nftables';
  if (g[which] !== undefined) return a.error(`${label} already specified - ignoring`);
  const name = a.word(1) ?? (which === 'nftables' ? 'keepalived' : 'keepalived_ipvs');
  if (name.length >= NFT_TABLE_MAXNAMELEN) return a.error(`${label} table name too long - ignoring`, 1);
  g[which] = name;
  if (which === 'nftables_ipvs') g.nftables_ipvs_start_fwmark = 1000;
}

const SNMP_NOTE = 'keel has no SNMP agent';
const DBUS_NOTE = 'keel has no DBus interface';
const NFT_NOTE = 'keel does not manage nftables';
const RELOAD_NOTE = "keel's reload does not use these files";

// ---------------------------------------------------------------------------------------------
// The keyword table.

const keywords: K[] = [
  // Process names.
  {
    name: 'process_names', doc: 'Name the child processes keepalived_vrrp, keepalived_lvs and keepalived_bfd', support: 'yes',
    handle: (g, a) => {
      processName('vrrp_process_name', a, g, 'keepalived_vrrp');
      processName('checker_process_name', a, g, 'keepalived_lvs');
      processName('bfd_process_name', a, g, 'keepalived_bfd');
    },
  },
  { name: 'process_name', args: 'NAME', doc: 'Name of the parent process', support: 'yes', handle: (g, a) => processName('process_name', a, g) },
  { name: 'vrrp_process_name', args: 'NAME', doc: 'Name of the VRRP process', support: 'yes', handle: (g, a) => processName('vrrp_process_name', a, g) },
  { name: 'checker_process_name', args: 'NAME', doc: 'Name of the checker process', support: 'yes', handle: (g, a) => processName('checker_process_name', a, g) },
  {
    name: 'lvs_process_name', args: 'NAME', doc: 'Old name of checker_process_name', support: 'yes',
    // keepalived only logs this deprecation, so `-t` still passes.
    handle: (g, a) => { a.hint("'lvs_process_name' is deprecated - please use 'checker_process_name'"); processName('checker_process_name', a, g); },
  },
  { name: 'bfd_process_name', args: 'NAME', doc: 'Name of the BFD process', support: NOT_YET, note: 'keel has no BFD process', handle: (g, a) => processName('bfd_process_name', a, g) },

  // Identity and e-mail.
  {
    name: 'router_id', args: 'STRING', doc: 'Name of this machine in e-mail alerts', default: 'the host name',
    handle: (g, a) => { const v = a.word(1); if (v === undefined) a.error('routerid name missing - ignoring'); else g.router_id = v; },
  },
  {
    name: 'notification_email', lines: true, doc: 'Addresses e-mail alerts go to',
    handle: (g, a, ctx) => {
      const words = blockWords(a, ctx);
      if (!words.length) ctx.diags.error('Warning - empty notification_email block', a.stmt.close ?? a.pos);
      for (const w of words) g.notification_email.push(w.word);
    },
  },
  {
    name: 'notification_email_from', args: 'ADDR', doc: 'Sender of e-mail alerts', default: 'USER@HOSTNAME',
    handle: (g, a) => { const v = a.word(1); if (v === undefined) a.error('emailfrom missing - ignoring'); else g.notification_email_from = v; },
  },
  { name: 'smtp_server', args: 'HOST [PORT]', doc: 'SMTP server for e-mail alerts', handle: readSmtpServer },
  {
    name: 'smtp_helo_name', args: 'NAME', doc: 'Name sent in HELO', default: 'the host name',
    handle: (g, a) => { const v = a.word(1); if (v !== undefined) g.smtp_helo_name = v; },
  },
  {
    name: 'smtp_connect_timeout', args: 'SECS', doc: 'SMTP connection timeout', default: '30',
    handle: (g, a) => {
      const v = readNum(a, 1, 0, MAX_SECS, (w) => `smtp_connect_timeout '${w}' must be in [0, ${MAX_SECS}] - ignoring`);
      if (v === undefined) return;
      if (v === 0) a.error('smtp_conect_timeout must be greater than 0, setting to 1', 1);
      g.smtp_connect_timeout = Math.max(v, 1);
    },
  },
  ...(['smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker'] as const).map((name): K => ({
    name, args: '[BOOL]', doc: `Default for sending e-mail alerts${name === 'smtp_alert' ? '' : ` (${name.slice(11)})`}`,
    handle: (g, a, ctx) => { remember(ctx, a); const v = readBool(a, invalidGlobal(name)); if (v !== undefined) g[name] = v; },
  })),
  boolKw('checker_log_all_failures', 'Log every checker failure, not only state changes', () => 'Invalid value for checker_log_all_failures specified'),
  flag('no_email_faults', 'No e-mail alerts for FAULT state changes'),
  boolKw('no_checker_emails', 'No e-mail alerts for checker state changes', invalidGlobal('no_checker_emails')),
  boolKw('rs_init_notifies', 'Notify the initial state of real servers', invalidGlobal('rs_init_notifies')),

  // Scripts of the parent process and script security.
  ...startStopScript('startup'),
  ...startStopScript('shutdown'),
  {
    name: 'script_user', args: 'USER [GROUP]', doc: 'Default user (and group) scripts run as', default: 'keepalived_script, else root',
    handle: (g, a, ctx) => {
      const user = a.word(1);
      if (user === undefined) return a.error('No script username specified');
      const group = a.word(2);
      const st = scriptUserState(ctx);
      st.resolved = true;
      if (!userGroupExist(user, group)) st.failed = true;
      // keepalived reports (and keeps) an earlier failure to find a default user too.
      if (st.failed) return a.error('Error setting global script uid/gid');
      st.user = user;
      if (group !== undefined) st.group = group;
      else delete st.group;
      g.script_user = group === undefined ? { user } : { user, group };
    },
  },
  flag('enable_script_security', 'Refuse scripts in paths non-root users can write'),

  // Notify FIFOs.
  ...fifoKeywords('', 'VRRP and checker'),
  ...fifoKeywords('vrrp_', 'VRRP'),
  boolKw('vrrp_notify_priority_changes', 'Also send priority changes to notify FIFOs', invalidGlobal('vrrp_notify_priority_changes')),
  flag('fifo_write_vrrp_states_on_reload', 'Write the VRRP states to the FIFO after a reload'),
  ...fifoKeywords('lvs_', 'checker'),

  // Process scheduling.
  {
    name: 'max_auto_priority', args: '[-1..99]', doc: 'Highest real-time priority keepalived raises itself to', default: '0 (99 when given without value)',
    support: NOT_YET, note: PROC_NOTE,
    handle: (g, a) => {
      if (!a.has(1)) {
        g.max_auto_priority = SCHED_RR_MAX;
        return;
      }
      const v = readNum(a, 1, -1, SCHED_RR_MAX, (w) => `max_auto_priority '${w}' must be in [0, ${SCHED_RR_MAX}] (or -1 to disable) - ignoring`);
      if (v !== undefined) g.max_auto_priority = v;
    },
  },
  {
    name: 'min_auto_priority_delay', args: 'USECS', doc: 'Delay that triggers raising the priority (microseconds)', default: '1000000',
    support: NOT_YET, note: PROC_NOTE,
    handle: (g, a) => {
      if (!a.has(1)) return a.error('min_auto_priority_delay requires delay time');
      const v = readNum(a, 1, 1, 10000000, (w) => `min_auto_priority_delay '${w}' must be in [1, 10000000] - ignoring`);
      if (v !== undefined) g.min_auto_priority_delay = v / 1e6;
    },
  },
  ...processKeywords('vrrp'),
  ...processKeywords('checker'),
  ...processKeywords('bfd'),

  // Interfaces.
  {
    name: 'dynamic_interfaces', args: '[allow_if_changes]', doc: 'Accept interfaces that do not exist yet', default: 'off',
    handle: (g, a) => {
      g.dynamic_interfaces = true;
      const w = a.word(1);
      if (w === undefined) return;
      if (w === 'allow_if_changes') g.allow_if_changes = true;
      else a.error(`Unknown dynamic_interfaces option '${w}'`, 1);
    },
  },
  {
    name: 'default_interface', args: 'IFNAME', doc: 'Interface for addresses given without dev', default: 'eth0',
    handle: (g, a) => { const v = a.word(1); if (v === undefined) a.error('default_interface requires interface name'); else g.default_interface = v; },
  },
  {
    name: 'disable_local_igmp', doc: 'Stop the kernel sending IGMP reports for link-local groups', support: NOT_YET, note: 'keel does not change the igmp_link_local_mcast_reports sysctl',
    handle: (g, a) => {
      try {
        accessSync(IGMP_REPORTS, process.getuid?.() === 0 ? fsc.W_OK : fsc.F_OK);
        g.disable_local_igmp = true;
      } catch {
        a.error(`kernel does not support ${IGMP_REPORTS}`);
      }
    },
  },

  // LVS.
  { name: 'lvs_timeouts', args: '[tcp N] [tcpfin N] [udp N]', doc: 'IPVS connection timeouts (seconds)', handle: readLvsTimeouts },
  flag('lvs_flush', 'Flush the IPVS table at start-up'),
  {
    name: 'lvs_flush_on_stop', args: '[VS]', doc: 'Flush IPVS at stop (VS: only the configured virtual servers)', default: 'none',
    handle: (g, a) => {
      const w = a.word(1);
      if (w === undefined) g.lvs_flush_on_stop = 'full';
      else if (w === 'VS') g.lvs_flush_on_stop = 'VS';
      else a.error(`Unknown lvs_flush_on_stop type ${w}`, 1);
    },
  },
  { name: 'lvs_flush_onstop', args: '[VS]', aliasOf: 'lvs_flush_on_stop', handle: () => undefined },
  {
    name: 'lvs_sync_daemon', args: 'IFNAME [[inst] VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]',
    doc: 'Run the IPVS connection sync daemon, master/backup following a VRRP instance',
    handle: (g, a, ctx) => { remember(ctx, a); readLvsSyncDaemon(g, a); },
  },

  // VRRP defaults.
  mcastGroup('vrrp_mcast_group4', 4),
  mcastGroup('vrrp_mcast_group6', 6),
  {
    name: 'vrrp_garp_master_delay', args: 'SECS', doc: 'Delay of the second burst of GARPs after becoming master', default: '5',
    handle: (g, a) => {
      const v = readNum(a, 1, 0, MAX_SECS, (w) => `vrrp_garp_master_delay '${w}' invalid - ignoring`);
      if (v !== undefined) g.vrrp_garp_master_delay = v;
    },
  },
  repeatKw('vrrp_garp_master_repeat', 'GARPs sent in each burst after becoming master', '5'),
  {
    name: 'vrrp_garp_master_refresh', args: 'SECS', doc: 'Interval of GARP refreshes while master (0: none)', default: '0',
    handle: (g, a) => {
      // A bad value switches refreshes off.
      g.vrrp_garp_master_refresh = readNum(a, 1, 0, UINT_MAX, (w) => `Invalid vrrp_garp_master_refresh '${w}' - ignoring`) ?? 0;
    },
  },
  repeatKw('vrrp_garp_master_refresh_repeat', 'GARPs sent at each refresh', '1'),
  {
    name: 'vrrp_garp_lower_prio_delay', args: 'SECS', doc: 'Delay of the GARP burst after a lower-priority advert', default: 'vrrp_garp_master_delay',
    handle: (g, a) => {
      const v = readNum(a, 1, 0, MAX_SECS, (w) => `vrrp_garp_lower_prio_delay '${w}' invalid - ignoring`);
      if (v !== undefined) g.vrrp_garp_lower_prio_delay = v;
    },
  },
  {
    name: 'vrrp_garp_lower_prio_repeat', args: 'N', doc: 'GARPs sent after a lower-priority advert', default: 'vrrp_garp_master_repeat',
    handle: (g, a) => {
      const v = readNum(a, 1, 0, INT_MAX, (w) => `Invalid vrrp_garp_lower_prio_repeat '${w}'`);
      if (v !== undefined) g.vrrp_garp_lower_prio_repeat = v;
    },
  },
  {
    name: 'vrrp_down_timer_adverts', args: '1..100', doc: 'Adverts missed before the master is declared down', default: '3',
    handle: (g, a) => {
      const v = readNum(a, 1, 1, 100, (w) => `Invalid vrrp_down_timer_adverts [1:100] '${w}'`);
      if (v !== undefined) g.vrrp_down_timer_adverts = v;
    },
  },
  garpSpacing('vrrp_garp_interval', 'gratuitous ARPs'),
  garpSpacing('vrrp_gna_interval', 'unsolicited neighbour adverts'),
  { name: 'vrrp_min_garp', args: '[BOOL]', doc: 'One GARP at master, no repeats or refreshes (unless set otherwise)', handle: applyMinGarp },
  { name: 'vrrp_garp_extra_if', args: '[all] SECS', doc: 'Also send GARPs on the base interface of VMACs, every SECS', handle: readGarpExtraIf },
  {
    name: 'vrrp_vmac_garp_intvl', args: '[all] SECS', aliasOf: 'vrrp_garp_extra_if',
    deprecated: 'Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"', handle: () => undefined,
  },
  boolKw('vrrp_lower_prio_no_advert', 'Do not answer a lower-priority advert with an advert', () => 'Invalid value for vrrp_lower_prio_no_advert specified'),
  boolKw('vrrp_higher_prio_send_advert', 'Send an advert on seeing a higher-priority master', () => 'Invalid value for vrrp_higher_prio_send_advert specified'),
  {
    name: 'vrrp_version', args: '2|3', doc: 'Default VRRP version of instances', default: '2',
    handle: (g, a) => {
      const v = readNum(a, 1, 2, 3, () => 'VRRP Error: Version must be either 2 or 3');
      if (v !== undefined) g.vrrp_version = v as 2 | 3;
    },
  },
  flag('vrrp_check_unicast_src', 'Check unicast adverts come from a configured peer'),
  flag('vrrp_skip_check_adv_addr', 'Do not check the address list of adverts from the same master'),
  flag('vrrp_strict', 'Strict RFC compliance for all instances'),
  {
    name: 'vrrp_startup_delay', args: 'SECS', doc: 'Delay before VRRP starts at boot', default: '0',
    handle: (g, a) => {
      const v = readFrac(a, 1, 0.001, UINT_MAX / 1e6, 6, (w) => `vrrp_startup_delay '${w}' is invalid`);
      if (v !== undefined) g.vrrp_startup_delay = v;
      if (g.vrrp_startup_delay >= 60) a.hint(`The vrrp_startup_delay is very large - ${a.word(1)} seconds`, 1);
    },
  },
  flag('log_unknown_vrids', 'Log adverts for VRIDs with no instance'),
  {
    name: 'vmac_prefix', args: 'STRING', doc: 'Prefix of generated VMAC interface names', default: 'vrrp',
    handle: (g, a) => {
      const v = a.need(1);
      if (v === undefined) return;
      if (g.vmac_prefix !== undefined) a.error(`vmac prefix has already been specified - ignoring ${v}`, 1);
      else g.vmac_prefix = v;
    },
  },
  {
    name: 'vmac_addr_prefix', args: 'STRING', doc: 'Prefix of VMAC interface names with use_vmac_addr',
    handle: (g, a) => {
      const v = a.need(1);
      if (v === undefined) return;
      if (g.vmac_addr_prefix !== undefined) a.error(`vmac_addr prefix has already been specified - ignoring ${v}`, 1);
      else g.vmac_addr_prefix = v;
    },
  },

  // Firewall. This keepalived is built with nftables only: vrrp_iptables falls back to it.
  {
    name: 'vrrp_iptables', args: '[IN_CHAIN [OUT_CHAIN]]', doc: 'Firewall VIPs (iptables; this build uses nftables instead)', support: NOT_YET, note: NFT_NOTE,
    handle: (g, a) => {
      a.error("iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option");
      g.nftables = 'keepalived';
      delete g.nftables_priority;
    },
  },
  { name: 'nftables', args: '[TABLE]', doc: 'Firewall VIPs with an nftables table', default: 'keepalived', support: NOT_YET, note: NFT_NOTE, handle: (g, a) => readNftTable(g, a, 'nftables') },
  {
    name: 'nftables_priority', args: 'N', doc: 'Priority of the nftables chains', support: NOT_YET, note: NFT_NOTE,
    handle: (g, a) => { const v = readNum(a, 1, -INT_MAX - 1, INT_MAX, (w) => `invalid nftables chain priority '${w}'`); if (v !== undefined) g.nftables_priority = v; },
  },
  flag('nftables_ifindex', 'Match interfaces by index in nftables rules', { support: NOT_YET, note: NFT_NOTE }),
  { name: 'nftables_ipvs', args: '[TABLE]', doc: 'nftables table for IPVS fwmarks', default: 'keepalived_ipvs', support: NOT_YET, note: NFT_NOTE, handle: (g, a) => readNftTable(g, a, 'nftables_ipvs') },
  {
    name: 'nftables_ipvs_priority', args: 'N', doc: 'Priority of the IPVS nftables chains', support: NOT_YET, note: NFT_NOTE,
    handle: (g, a) => { const v = readNum(a, 1, -INT_MAX - 1, INT_MAX, (w) => `invalid ipvs nftables chain priority '${w}'`); if (v !== undefined) g.nftables_ipvs_priority = v; },
  },
  {
    name: 'nftables_ipvs_start_fwmark', args: 'N', doc: 'First fwmark keepalived allocates', default: '1000', support: NOT_YET, note: NFT_NOTE,
    handle: (g, a) => { const v = readNum(a, 1, 1, UINT_MAX, (w) => `invalid ipvs nftables start_fwmark priority '${w}'`); if (v !== undefined) g.nftables_ipvs_start_fwmark = v; },
  },
  flag('nftables_counters', 'Add counters to nftables rules', { support: NOT_YET, note: NFT_NOTE }),

  // SNMP and DBus.
  {
    name: 'snmp_socket', args: 'SPEC', doc: 'AgentX socket of the SNMP master agent', support: NOT_YET, note: SNMP_NOTE,
    handle: (g, a) => {
      if (a.length > 2) return a.error('Too many parameters specified for snmp_socket - ignoring', 2);
      const v = a.word(1);
      if (v === undefined) return a.error('SNMP error : snmp socket name missing');
      if (v.length > PATH_MAX - 1) return a.error('SNMP error : snmp socket name too long - ignored', 1);
      if (g.snmp_socket !== undefined) return a.error(`SNMP socket already set to ${g.snmp_socket} - ignoring`, 1);
      g.snmp_socket = v;
    },
  },
  flag('enable_traps', 'Send SNMP traps', { support: NOT_YET, note: SNMP_NOTE }),
  flag('enable_snmp_vrrp', 'Keepalived VRRP SNMP MIB', { support: NOT_YET, note: SNMP_NOTE }),
  { name: 'enable_snmp_keepalived', aliasOf: 'enable_snmp_vrrp', support: NOT_YET, note: SNMP_NOTE, handle: () => undefined },
  {
    name: 'enable_snmp_rfc', doc: 'Both RFC VRRP MIBs (v2 and v3)', support: NOT_YET, note: SNMP_NOTE,
    handle: (g) => { g.enable_snmp_rfcv2 = true; g.enable_snmp_rfcv3 = true; },
  },
  flag('enable_snmp_rfcv2', 'RFC 2787 VRRP MIB', { support: NOT_YET, note: SNMP_NOTE }),
  flag('enable_snmp_rfcv3', 'RFC 6527 VRRPv3 MIB', { support: NOT_YET, note: SNMP_NOTE }),
  flag('enable_snmp_checker', 'Keepalived checker SNMP MIB', { support: NOT_YET, note: SNMP_NOTE }),
  flag('enable_dbus', 'DBus interface for VRRP instances', { support: NOT_YET, note: DBUS_NOTE }),
  {
    name: 'dbus_service_name', args: 'NAME', doc: 'DBus service name', default: 'org.keepalived.Vrrp1', support: NOT_YET, note: DBUS_NOTE,
    handle: (g, a) => { const v = a.word(1); if (v === undefined) a.error('dbus_service_name missing - ignoring'); else g.dbus_service_name = v; },
  },

  // Netlink and receive buffers.
  ...rcvBufKeywords('vrrp_netlink_cmd'),
  ...rcvBufKeywords('vrrp_netlink_monitor'),
  ...rcvBufKeywords('process_monitor'),
  ...rcvBufKeywords('lvs_netlink_cmd'),
  ...rcvBufKeywords('lvs_netlink_monitor'),
  { name: 'vrrp_rx_bufs_policy', args: 'MTU|ADVERT|SIZE', doc: 'Receive buffer size of VRRP sockets', support: NOT_YET, note: BUFS_NOTE, handle: readRxBufsPolicy },
  {
    name: 'vrrp_rx_bufs_multiplier', args: 'N', doc: 'Multiplier of the vrrp_rx_bufs_policy size', default: '3', support: NOT_YET, note: BUFS_NOTE,
    handle: (g, a) => {
      if (a.length !== 2) return a.error('Invalid vrrp_rx_bufs_multiplier');
      const v = readNum(a, 1, 1, UINT_MAX, (w) => `Invalid vrrp_rx_bufs_multiplier ${w}`);
      if (v !== undefined) g.vrrp_rx_bufs_multiplier = v;
    },
  },

  // Files, reload and miscellany.
  { name: 'umask', args: 'NUMBER|BITS', doc: 'umask of files keepalived creates', handle: (g, a) => { const v = readUmask(a); if (v !== undefined) g.umask = v; } },
  {
    name: 'random_seed', args: 'N', doc: 'Seed of the random number generator', support: NOT_YET, note: 'keel does not seed its randomness',
    handle: (g, a) => { const v = readNum(a, 1, 0, UINT_MAX, (w) => `random_seed ${w} invalid`); if (v !== undefined) g.random_seed = v; },
  },
  {
    name: 'reload_check_config', args: '[LOGFILE]', doc: 'Check the configuration before a reload', support: NOT_YET, note: RELOAD_NOTE,
    handle: (g, a) => { g.reload_check_config = a.word(1) ?? '/dev/null'; },
  },
  {
    name: 'reload_time_file', args: 'PATH', doc: 'File giving the time of a scheduled reload', support: NOT_YET, note: RELOAD_NOTE,
    handle: (g, a) => { if (a.length !== 2) a.error('reload_time_file invalid'); else g.reload_time_file = a.word(1)!; },
  },
  flag('reload_repeat', 'Repeat the scheduled reload daily', { support: NOT_YET, note: RELOAD_NOTE }),
  {
    name: 'reload_file', args: '[PATH]', doc: 'File that exists while a reload is in progress', support: NOT_YET, note: RELOAD_NOTE,
    handle: (g, a) => { g.reload_file = a.word(1) ?? ''; },
  },
  {
    name: 'include_check', args: '[+|-][read|match|wildcard_match|brace_match]...', doc: 'Which include problems are errors',
    note: 'applied by the preprocessor to the includes that follow it',
    handle: (g, a) => { g.include_check = readIncludeCheck(a, g.include_check); },
  },
  {
    name: 'config_save_dir', args: 'DIR', doc: 'Directory for copies of the configuration read', support: NOT_YET, note: RELOAD_NOTE,
    handle: (g, a) => { const d = a.need(1); if (d !== undefined && checkSaveDir(a, d)) g.config_save_dir = d.length > 1 ? d.replace(/\/$/, '') : d; },
  },
  {
    name: 'tmp_config_directory', args: 'DIR', doc: 'Where the child processes read their copy of the configuration', support: NOT_YET, note: RELOAD_NOTE,
    handle: (g, a) => {
      if (g.tmp_config_directory !== undefined) return a.error(`${a.keyword} already specified - ignoring`);
      const d = a.word(1);
      if (d === undefined) a.error(`${a.keyword} missing directory name`);
      else g.tmp_config_directory = d;
    },
  },
  boolKw('data_use_instance', 'Put the instance name in data/stats/json dump file names', (w) => `Invalid value '${w}' for global date_use_instance specified`, { support: NOT_YET, note: 'keel does not write keepalived\'s dump files' }),
];

export const globalDefsBlock: BlockDef<GlobalDefs> = defineBlock('global_defs', keywords, 'Global settings');

// ---------------------------------------------------------------------------------------------
// Checks once the whole configuration is read.

/** Defaults keepalived derives from other settings. */
function resolveDefaults(g: GlobalDefs): void {
  g.vrrp_garp_lower_prio_repeat ??= g.vrrp_garp_master_repeat;
  g.vrrp_garp_lower_prio_delay ??= g.vrrp_garp_master_delay;
  if (g.startup_script) g.startup_script_timeout ??= 10;
  if (g.shutdown_script) g.shutdown_script_timeout ??= 10;
}

/**
 * The sync daemon follows a VRRP instance: when the instance does not exist keepalived drops the
 * sync daemon at start-up (its -t does not look), and without an id it takes the instance's VRID.
 */
function resolveLvsSyncDaemon(config: Config, ctx: BuildContext): void {
  const d = config.global_defs.lvs_sync_daemon;
  if (!d) return;
  const pos = posOf(ctx, 'lvs_sync_daemon');
  if (!config.global_defs.dynamic_interfaces && !ctx.interfaceExists(d.interface)) {
    ctx.diags.hint(`lvs_sync_daemon interface ${d.interface} does not exist; the sync daemon will fail to start`, pos);
  }
  if (d.instance === undefined) {
    d.id ??= 0;
    return;
  }
  const vrrp = config.vrrp_instances.find((v) => v.name === d.instance);
  if (!vrrp) {
    ctx.diags.hint(`Unable to find vrrp instance ${d.instance} for lvs_syncd - keepalived clears the lvs_sync_daemon config at start-up`, pos);
    delete config.global_defs.lvs_sync_daemon;
    return;
  }
  if (d.id === undefined && vrrp.virtual_router_id !== undefined) d.id = vrrp.virtual_router_id;
}

/** Flag set in ctx.scratch when a subsystem's script-security violation has been reported. */
export const SECURITY_REPORTED = 'global.securityReported';

function markSecurity(ctx: BuildContext, what: 'parent' | 'vrrp' | 'checker'): void {
  const s = (ctx.scratch[SECURITY_REPORTED] ??= new Set<string>()) as Set<string>;
  s.add(what);
}

/**
 * Scripts found on disk while script security is off are a violation (exit 6). keepalived checks
 * start/shutdown scripts in the parent, and the global FIFO scripts with each subsystem that has
 * something configured (vrrp instances; virtual servers).
 */
function checkScriptSecurity(config: Config, ctx: BuildContext): void {
  const g = config.global_defs;
  const found = (keyword: 'startup_script' | 'shutdown_script' | `${FifoPrefix}notify_fifo_script`): ScriptFileCheck | undefined => {
    const s = g[keyword];
    if (!s) return undefined;
    const r = inspectScript(s, ctx);
    const pos = posOf(ctx, keyword);
    if (!r.isScript) ctx.diags.hint(`Script ${s.argv[0]} cannot be found - keepalived will not run it`, pos);
    else if (!r.executable) ctx.diags.hint(`Script ${s.argv[0]} is not executable - keepalived will not run it`, pos);
    else if (r.insecure && g.enable_script_security) ctx.diags.hint(`Unsafe permissions found for script '${s.argv[0]}' - keepalived will not run it`, pos);
    return r;
  };
  const startStop = [found('startup_script'), found('shutdown_script')];
  const fifo = found('notify_fifo_script');
  const vrrpFifo = found('vrrp_notify_fifo_script');
  const lvsFifo = found('lvs_notify_fifo_script');
  if (g.enable_script_security) return;
  // keepalived's summary has no line: keel points it at the first script concerned.
  const report = (what: 'parent' | 'vrrp' | 'checker', prefix: string, checks: [ScriptFileCheck | undefined, Pos | undefined][]): void => {
    const found = checks.filter((c): c is [ScriptFileCheck, Pos | undefined] => !!c[0]?.isScript);
    if (!found.length) return;
    const insecure = found.some(([c]) => c.insecure) ? ' There are insecure scripts.' : '';
    ctx.diags.security(`SECURITY VIOLATION - ${prefix}scripts are being executed but script_security not enabled.${insecure}`, found[0]![1]);
    markSecurity(ctx, what);
  };
  const at = (k: Parameters<typeof found>[0]): Pos | undefined => posOf(ctx, k);
  report('parent', 'start/shutdown ', [[startStop[0], at('startup_script')], [startStop[1], at('shutdown_script')]]);
  if (config.vrrp_instances.length) report('vrrp', '', [[fifo, at('notify_fifo_script')], [vrrpFifo, at('vrrp_notify_fifo_script')]]);
  if (config.virtual_servers.length) report('checker', 'check ', [[fifo, at('notify_fifo_script')], [lvsFifo, at('lvs_notify_fifo_script')]]);
}

/** keel-only advice on FIFO settings keepalived accepts but that do not do what they seem to. */
function fifoHints(g: GlobalDefs, ctx: BuildContext): void {
  for (const p of ['', 'vrrp_', 'lvs_'] as const) {
    if (g[`${p}notify_fifo_script` as const] && !g[`${p}notify_fifo` as const]) {
      ctx.diags.hint(`${p}notify_fifo_script without ${p}notify_fifo is never run`, posOf(ctx, `${p}notify_fifo_script`));
    }
  }
  for (const p of ['vrrp_', 'lvs_'] as const) {
    const f = g[`${p}notify_fifo` as const];
    if (f && g.notify_fifo && f.name === g.notify_fifo.name) {
      ctx.diags.hint(`notify FIFO ${f.name} is both notify_fifo and ${p}notify_fifo: messages would be written twice`, posOf(ctx, `${p}notify_fifo`));
    }
  }
}

/** keel-only advice: e-mail alerts switched on with nowhere to send them. */
function smtpHints(g: GlobalDefs, ctx: BuildContext): void {
  const alerts = (['smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker'] as const).find((k) => g[k]);
  if (!alerts) return;
  const missing = !g.smtp_server ? 'smtp_server' : !g.notification_email.length ? 'notification_email' : undefined;
  if (missing) ctx.diags.hint(`${alerts} is on but there is no ${missing}: no e-mail alerts will be sent`, posOf(ctx, alerts));
}

/** Checks across global_defs once the whole config is read, and defaults that depend on it. */
export function validateGlobal(config: Config, ctx: BuildContext): void {
  const g = config.global_defs;
  resolveDefaults(g);
  resolveLvsSyncDaemon(config, ctx);
  checkScriptSecurity(config, ctx);
  fifoHints(g, ctx);
  smtpHints(g, ctx);
  validateGarpGroups(config, ctx);
  validateBfdInstances(config, ctx);
}
