// `keel ipvs list [-n] [--stats|--rate] [--exact]` (as `ipvsadm -L[n]`) and `keel ipvs save`
// (as `ipvsadm -Sn`). The kernel is read through the netlink client; printing is format.ts.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openIpvs, type IpvsClient } from './client.js';
import { formatList, formatSave, type FormatOptions, type ListMode } from './format.js';

interface Out {
  write(s: string): unknown;
}

const USAGE = `Usage: keel ipvs list [-n|--numeric] [--stats|--rate] [--exact]
       keel ipvs save [-n|--numeric]
Print the kernel's IPVS table as ipvsadm -L and ipvsadm -S print it.`;

/** /etc/services as port -> name per protocol (what getservbyport() answers from files). */
export function parseServices(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, pp] = line.split(/\s+/);
    const hit = pp && /^(\d+)\/(tcp|udp|sctp)$/.exec(pp);
    if (!name || !hit) continue;
    const key = `${hit[1]}/${hit[2]}`;
    if (!m.has(key)) m.set(key, name);
  }
  return m;
}

/** /etc/hosts as address -> first name (gethostbyaddr() from files; keel does not ask DNS). */
export function parseHosts(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [addr, name] = line.split(/\s+/);
    if (addr && name && !m.has(addr)) m.set(addr, name);
  }
  return m;
}

function readOr(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

function nameLookups(numeric: boolean): FormatOptions {
  if (numeric) return { numeric: true };
  const services = parseServices(readOr('/etc/services'));
  const hosts = parseHosts(readOr('/etc/hosts'));
  return {
    numeric: false,
    portName: (port, proto) => services.get(`${port}/${proto}`),
    hostName: (a) => hosts.get(a),
  };
}

/** Run `keel ipvs ...`; returns the exit code. `open` is the kernel by default. */
export async function runIpvsCommand(argv: string[], out: Out, err: Out, open: () => Promise<IpvsClient> = () => openIpvs()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    (sub === undefined ? err : out).write(`${USAGE}\n`);
    return sub === undefined ? 1 : 0;
  }
  if (sub !== 'list' && sub !== 'save') {
    err.write(`keel ipvs: unknown command '${sub}'\n${USAGE}\n`);
    return 1;
  }
  let values: { numeric?: boolean; stats?: boolean; rate?: boolean; exact?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: sub === 'list'
        ? { numeric: { type: 'boolean', short: 'n' }, stats: { type: 'boolean' }, rate: { type: 'boolean' }, exact: { type: 'boolean' } }
        : { numeric: { type: 'boolean', short: 'n' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err.write(`keel ipvs ${sub}: ${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.stats && values.rate) {
    err.write(`keel ipvs list: --stats and --rate cannot be used together\n`);
    return 1;
  }
  let client: IpvsClient | undefined;
  try {
    client = await open();
    const table = await client.dump();
    if (sub === 'save') {
      // `ipvsadm -Sn`: always numeric, so that the output can be restored anywhere.
      out.write(formatSave(table, { numeric: true }));
    } else {
      const mode: ListMode = values.stats ? 'stats' : values.rate ? 'rate' : 'plain';
      out.write(formatList(table, await client.getInfo(), mode, nameLookups(!!values.numeric), !!values.exact));
    }
    return 0;
  } catch (e) {
    err.write(`keel ipvs ${sub}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client?.close();
  }
}
