// keel's entry point.
import { relative, isAbsolute } from 'node:path';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { parseFlags, helpText, UsageError } from './cli.js';
import { loadConfigFile } from '../config/build.js';
import { exitCodeFor, formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { configToJson } from '../config/json.js';

const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';

function displayPath(p: string): string {
  if (!isAbsolute(p)) return p;
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

function show(d: Diagnostic): string {
  return formatDiagnostic(d.pos ? { ...d, pos: { ...d.pos, file: displayPath(d.pos.file) } } : d);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `keel v${pkg.version} (keepalived 2.2.7 compatible)`;
}

/** keel's own subcommands (the rest of the command line is keepalived's flags). */
const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  watch: async (args) => (await import('./watch-cli.js')).runWatch(args),
  status: async (args) => (await import('./status-cli.js')).runStatus(args, (x) => process.stdout.write(x), (x) => process.stderr.write(x)),
  genhash: async (args) => (await import('../check/genhash.js')).runGenhash(args, process.stdout, process.stderr),
  ipvs: async (args) => (await import('../ipvs/cli.js')).runIpvsCommand(args, process.stdout, process.stderr),
};

export function main(argv: string[]): number {
  const sub = SUBCOMMANDS[argv[0] ?? ''];
  if (sub) {
    // Loaded only when used: `keel -t` starts faster without the codec, checker and IPVS modules.
    void sub(argv.slice(1)).then((code) => { process.exitCode = code; }, (e: Error) => {
      process.stderr.write(`keel ${argv[0]}: internal error: ${e.message}\n`);
      if (process.env.KEEL_DEBUG) process.stderr.write(String(e.stack) + '\n');
      process.exitCode = 70;
    });
    return 0; // replaced by the subcommand's own exit code when it finishes
  }
  let parsed;
  try {
    parsed = parseFlags(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`keel: ${e.message}\nTry 'keel --help' for the options.\n`);
      return 1;
    }
    throw e;
  }
  const { flags, positionals } = parsed;
  if (flags.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (flags.signum !== undefined) {
    // keepalived's --signum: the number to send for a function. keel writes the JSON dump with
    // the stats dump (Node cannot catch keepalived's real-time SIGJSON), so JSON is SIGUSR2.
    const SIGFUNC: Record<string, NodeJS.Signals> = { STOP: 'SIGTERM', RELOAD: 'SIGHUP', DATA: 'SIGUSR1', STATS: 'SIGUSR2', JSON: 'SIGUSR2' };
    const sig = SIGFUNC[flags.signum];
    if (!sig) {
      process.stderr.write(`Unknown sigfunc ${flags.signum}\n`);
      return 1;
    }
    process.stdout.write(`${osConstants.signals[sig]}\n`);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(version() + '\n');
    return 0;
  }
  if (positionals.length) {
    process.stderr.write(`keel: unexpected argument '${positionals[0]}'\nTry 'keel --help' for the options.\n`);
    return 1;
  }
  const file = flags['use-file'] ?? DEFAULT_CONFIG;
  // -d alone (as keepalived's) runs the daemon and logs the configuration; with -t it prints it.
  if (flags['config-test'] || flags['dump-json']) {
    const opts: Parameters<typeof loadConfigFile>[1] = {};
    if (flags['config-id'] !== undefined) opts.configId = flags['config-id'];
    if (flags['all-config']) opts.includeCheck = true;
    const { config, diagnostics } = loadConfigFile(file, opts);
    // Config text is read as latin1 (byte for byte, as keepalived reads it); writing it back as
    // latin1 gives the operator their own bytes, UTF-8 included.
    for (const d of diagnostics.list) process.stderr.write(Buffer.from(show(d) + '\n', 'latin1'));
    if (flags['dump-json'] || flags['dump-conf']) process.stdout.write(Buffer.from(configToJson(config) + '\n', 'latin1'));
    return exitCodeFor(diagnostics.list);
  }
  if (flags.umask !== undefined) {
    // keepalived's -u: numeric, any base strtol reads (0022, 0x12, 18).
    const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.exec(flags.umask);
    const v = m ? Number(flags.umask.startsWith('0') && !/^0x/i.test(flags.umask) ? parseInt(flags.umask, 8) : flags.umask) : NaN;
    if (!Number.isInteger(v) || v < 0 || v > 0o777) {
      process.stderr.write(`keel: invalid --umask option ${flags.umask}\n`);
      return 1;
    }
    process.umask(v);
  }
  // The daemon: loaded only when run, so `keel -t` does not load the kernel ports.
  void import('./run.js')
    .then(({ runDaemon }) => runDaemon(flags, argv))
    .then((code) => { process.exitCode = code; process.exit(code); }, (e: Error) => {
      process.stderr.write(`keel: ${e.message}\n`);
      if (process.env.KEEL_DEBUG) process.stderr.write(String(e.stack) + '\n');
      process.exit(70);
    });
  return 0;
}

// `keel status | head`: a reader that goes away ends the output quietly, as for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  // Never a stack trace to the user: one line, and a non-zero exit.
  process.stderr.write(`keel: internal error: ${(e as Error).message}\n`);
  if (process.env.KEEL_DEBUG) process.stderr.write(String((e as Error).stack) + '\n');
  process.exitCode = 70;
}
