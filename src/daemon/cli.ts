// Command-line parsing: keepalived's flags (DESIGN.md's contract) plus keel's own subcommands.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const OPTIONS = {
  'use-file': { type: 'string', short: 'f', help: 'Use the specified configuration file (default /etc/keepalived/keepalived.conf)' },
  vrrp: { type: 'boolean', short: 'P', help: 'Only run the VRRP subsystem' },
  check: { type: 'boolean', short: 'C', help: 'Only run the health-checker subsystem' },
  no_bfd: { type: 'boolean', short: 'B', help: "Don't run the BFD subsystem" },
  all: { type: 'boolean', help: 'Run all child processes, even with no configuration for them' },
  'log-console': { type: 'boolean', short: 'l', help: 'Log messages to the console' },
  'log-detail': { type: 'boolean', short: 'D', help: 'Detailed log messages' },
  'log-facility': { type: 'string', short: 'S', help: 'Syslog facility: 0-7, local0-7, user or daemon' },
  'no-syslog': { type: 'boolean', short: 'G', help: "Don't log via syslog" },
  'log-file': { type: 'string', short: 'g', help: 'Log to FILE' },
  'log-json': { type: 'boolean', help: 'Log JSON lines (pino) instead of text' },
  umask: { type: 'string', short: 'u', help: 'umask for file creation (numeric)' },
  'release-vips': { type: 'boolean', short: 'X', help: 'Drop VIPs on transition from signal' },
  'dont-release-vrrp': { type: 'boolean', short: 'V', help: "Don't remove VRRP VIPs and routes on stop" },
  'dont-release-ipvs': { type: 'boolean', short: 'I', help: "Don't remove the IPVS table on stop" },
  'dont-respawn': { type: 'boolean', short: 'R', help: "Don't respawn child processes" },
  'dont-fork': { type: 'boolean', short: 'n', help: "Don't fork the daemon process" },
  'dump-conf': { type: 'boolean', short: 'd', help: 'Dump the configuration data' },
  pid: { type: 'string', short: 'p', help: 'Pid file for the parent process' },
  vrrp_pid: { type: 'string', short: 'r', help: 'Pid file for the VRRP child process' },
  checkers_pid: { type: 'string', short: 'c', help: 'Pid file for the checker child process' },
  bfd_pid: { type: 'string', short: 'b', help: 'Pid file for the BFD child process' },
  'address-monitoring': { type: 'boolean', short: 'a', help: 'Report all address changes seen through netlink' },
  namespace: { type: 'string', short: 's', help: 'Run in network namespace NAME (overrides the config)' },
  'all-config': { type: 'boolean', short: 'e', help: 'Error if any configuration file is missing' },
  'config-id': { type: 'string', short: 'i', help: "Configuration id for '@id' lines (default: host name up to the first dot)" },
  'config-test': { type: 'boolean', short: 't', help: 'Check the configuration and exit: 0 when valid' },
  'dump-json': { type: 'boolean', help: 'With -t: print the typed configuration as JSON' },
  'ipvs-dry-run': { type: 'boolean', help: 'Compute the IPVS table without touching the kernel' },
  control: { type: 'string', help: 'Control socket path (default /run/keel/keel.sock)' },
  http: { type: 'string', help: 'Serve /status and /metrics over HTTP on [ADDR:]PORT (default address 127.0.0.1; off unless given)' },
  signum: { type: 'string', help: 'Print the signal number for STOP, RELOAD, DATA, STATS or JSON and exit' },
  version: { type: 'boolean', short: 'v', help: 'Display the version number' },
  help: { type: 'boolean', short: 'h', help: 'Display this help message' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string; help: string }>;

export type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

export class UsageError extends Error {}

export function parseFlags(argv: string[]): { flags: Flags; positionals: string[] } {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries(OPTIONS)) {
    options[name] = 'short' in o ? { type: o.type, short: o.short } : { type: o.type };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { flags: values as Flags, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function helpText(): string {
  const lines = [
    'Usage: keel [OPTION...]            run the daemon (keepalived-compatible flags)',
    '       keel -t [--dump-json] -f FILE  check a configuration',
    '',
  ];
  for (const [name, o] of Object.entries(OPTIONS)) {
    const short = 'short' in o ? `-${o.short}, ` : '    ';
    const arg = o.type === 'string' ? '=VALUE' : '';
    lines.push(`  ${short}--${name}${arg}`.padEnd(32) + ' ' + o.help);
  }
  return lines.join('\n');
}
