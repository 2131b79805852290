// `keel genhash`: keepalived's genhash — fetch one URL and print the MD5 of its body, the value
// HTTP_GET's `digest` expects. Same options, same output (the digest on stdout, or keepalived's
// failure message), same exit codes (0 once the options parse, 1 with usage otherwise).
import { fetchUrl, type HttpTarget } from './http.js';
import type { HttpProtocol } from './http-response.js';
import { parseInet } from '../config/blocks/checkers.js';

interface Opt {
  long: string;
  short: string;
  arg: boolean;
}

const OPTS: Opt[] = [
  { long: 'help', short: 'h', arg: false },
  { long: 'verbose', short: 'v', arg: false },
  { long: 'use-ssl', short: 'S', arg: false },
  { long: 'use-sni', short: 'I', arg: false },
  { long: 'server', short: 's', arg: true },
  { long: 'use-virtualhost', short: 'V', arg: true },
  { long: 'port', short: 'p', arg: true },
  { long: 'url', short: 'u', arg: true },
  { long: 'fwmark', short: 'm', arg: true },
  { long: 'protocol', short: 'P', arg: true },
  { long: 'timeout', short: 't', arg: true },
];

function usage(prog: string, err: NodeJS.WritableStream): void {
  err.write(
    `Usage: ${prog} COMMAND [OPTIONS]\nCommands:\n   -s server-address -p port -u url\n   -S -s server-address -p port -u url\n   -h\n\n` +
    'Options:\nEither long or short options are allowed.\n' +
    '   --use-ssl         -S       Use SSL connection to remote server.\n' +
    '   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n' +
    '   --server          -s       Use the specified remote server address.\n' +
    '   --port            -p       Use the specified remote server port.\n' +
    '   --url             -u       Use the specified remote server url.\n' +
    '   --use-virtualhost -V       Use the specified virtualhost in GET query.\n' +
    '   --verbose         -v       Use verbose mode output.\n' +
    '   --help            -h       Display this short inlined help screen.\n' +
    '   --fwmark          -m       Use the specified FW mark.\n' +
    "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n" +
    "                                1.0c means 1.0 with 'Connection: close'\n" +
    '   --timeout         -t       Timeout in seconds\n',
  );
}

interface Parsed {
  server?: string;
  port?: number;
  url?: string;
  vhost?: string;
  ssl: boolean;
  sni: boolean;
  verbose: boolean;
  protocol: HttpProtocol;
  timeout: number;
}

/** getopt_long-style parsing; returns an error message (already printed) as `false`. */
function parse(argv: string[], err: NodeJS.WritableStream): Parsed | false {
  const p: Parsed = { ssl: false, sni: false, verbose: false, protocol: '1.0', timeout: 5 };
  let bad = false;
  const rest: string[] = [];
  const apply = (o: Opt, v: string | undefined): boolean => {
    switch (o.short) {
      case 'h': bad = true; return true;
      case 'v': p.verbose = true; return true;
      case 'S': p.ssl = true; return true;
      case 'I': p.sni = true; return true;
      case 's': {
        const a = parseInet(v!);
        if (!a) { err.write(`server should be an IP, not ${v}\n`); return false; }
        p.server = a.ip;
        return true;
      }
      case 'V': p.vhost = v!; return true;
      case 'p': {
        const n = /^[+-]?\d+$/.test(v!) ? Number(v) : NaN;
        if (!(n > 0 && n <= 65535)) { err.write(`invalid port number '${v}'\n`); return false; }
        p.port = n;
        return true;
      }
      case 'u': p.url = v!; return true;
      case 'm': {
        const s = v!.replace(/^[ \t]+/, '');
        if (!/^\d+$/.test(s)) { err.write(`invalid fwmark '${v}'\n`); return false; }
        // Node cannot set SO_MARK: accepted for compatibility, the request goes unmarked.
        return true;
      }
      case 'P':
        if (v === '1.0') p.protocol = '1.0';
        else if (v === '1.0c' || v === '1.0C') p.protocol = '1.0C';
        else if (v === '1.1') p.protocol = '1.1';
        else { err.write(`invalid HTTP protocol version '${v}'\n`); return false; }
        return true;
      case 't': {
        const s = v!.replace(/^[ \t]+/, '');
        if (!/^\d+$/.test(s)) { err.write(`invalid timeout '${v}'\n`); return false; }
        p.timeout = Number(s);
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { rest.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq === -1 ? undefined : eq);
      const matches = OPTS.filter((o) => o.long.startsWith(name));
      const o = matches.find((m) => m.long === name) ?? (matches.length === 1 ? matches[0] : undefined);
      if (!o) { err.write(`Unknown option ${a}\n`); bad = true; continue; }
      let v: string | undefined;
      if (o.arg) {
        v = eq !== -1 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) { err.write(`Missing parameter for option --${o.long}\n`); bad = true; continue; }
      }
      if (!apply(o, v)) return false;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const o = OPTS.find((x) => x.short === a[k]);
        if (!o) { err.write(`Unknown option -${a[k]}\n`); bad = true; continue; }
        let v: string | undefined;
        if (o.arg) {
          v = k + 1 < a.length ? a.slice(k + 1) : argv[++i];
          if (v === undefined) { err.write(`Missing parameter for option -${o.short}\n`); bad = true; break; }
          if (!apply(o, v)) return false;
          break;
        }
        if (!apply(o, v)) return false;
      }
      continue;
    }
    rest.push(a);
  }
  if (bad) return false;
  if (rest.length) {
    err.write(`Unexpected argument(s): ${rest.join(' ')}\n`);
    return false;
  }
  if (p.server === undefined || p.port === undefined || p.url === undefined) return false;
  return p;
}

/** `keel genhash ARGS`: returns the exit code. */
export async function runGenhash(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const p = parse(argv, err);
  if (!p) {
    usage('keel genhash', err);
    return 1;
  }
  const t: HttpTarget = {
    conn: { connect_ip: p.server!, connect_port: p.port!, connect_timeout: p.timeout },
    tls: p.ssl,
    protocol: p.protocol,
    sni: p.sni,
    ...(p.vhost !== undefined ? { vhost: p.vhost } : {}),
  };
  const started = performance.now();
  const r = await fetchUrl(t, { path: p.url!, status_code: [[100, 599]], regex_no_match: false, regex_options: [] }, { wantDigest: true });
  if (p.verbose && r.header) out.write(`-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n${r.header}\n`);
  if (r.received) {
    if (p.verbose) out.write('-----------------------[    HTML MD5 final resulting    ]-----------------------\n');
    out.write(`${r.digest}\n`);
  } else if (r.msg === 'Read, no data received from ') {
    err.write('no data received from remote webserver\n');
  } else {
    out.write(`${r.msg}\n`);
  }
  if (p.verbose) out.write(`\nGlobal response time for [${p.url}] = ${Math.round((performance.now() - started) * 1000)} usecs\n`);
  return 0;
}
