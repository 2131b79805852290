// HTTP_GET and SSL_GET: one URL fetched per attempt over a fresh connection (check_http.c,
// check_ssl.c). The bytes on the wire and the reading of the reply are in http-response.ts; this
// file is the socket and TLS plumbing. Certificates are not verified, as in keepalived.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Connection, HttpChecker, HttpUrl, SslConfig } from '../config/blocks/checkers.js';
import { buildRequest, judgeResponse, ResponseReader, type HttpProtocol } from './http-response.js';
import { EXCHANGE, EXCHANGE_PHASE, type KeelNet } from '../net/native.js';
import { ConnectError, errnoName, nativeNet, socketTarget, type ProbeResult } from './probe.js';

/** The SSL block's files, read once (keepalived loads them into one SSL context at start). */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
}

export function loadTlsMaterial(ssl: SslConfig | undefined): TlsMaterial {
  const m: TlsMaterial = {};
  if (!ssl) return m;
  if (ssl.ca) m.ca = readFileSync(ssl.ca);
  if (ssl.certificate) m.cert = readFileSync(ssl.certificate);
  if (ssl.key) m.key = readFileSync(ssl.key);
  if (ssl.password !== undefined) m.passphrase = ssl.password;
  return m;
}

export interface HttpTarget {
  conn: Connection;
  tls: boolean;
  protocol: HttpProtocol;
  /** The Host header's virtualhost (url's, checker's, real server's or virtual server's). */
  vhost?: string;
  /** Send SNI (the virtualhost) in the TLS handshake. */
  sni: boolean;
  material?: TlsMaterial;
}

/** keepalived's virtualhost precedence: url, checker, real server, virtual server. */
export function vhostFor(url: HttpUrl, c: HttpChecker, rsVhost?: string, vsVhost?: string): string | undefined {
  return url.virtualhost ?? c.virtualhost ?? rsVhost ?? vsVhost;
}

function tlsConnect(t: HttpTarget, timeoutS: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const base = socketTarget(t.conn);
    const o: tls.ConnectionOptions = { ...base, rejectUnauthorized: false };
    // SNI carries a host name: keepalived sends the virtualhost only when enable_sni is set.
    if (t.sni && t.vhost && !t.vhost.includes(':') && !/^[0-9.]+$/.test(t.vhost)) o.servername = t.vhost;
    else o.servername = '';
    const m = t.material;
    if (m?.ca) o.ca = m.ca;
    if (m?.cert) o.cert = m.cert;
    if (m?.key) o.key = m.key;
    if (m?.passphrase !== undefined) o.passphrase = m.passphrase;
    let connected = false;
    const s = tls.connect(o);
    const timer = setTimeout(() => {
      s.destroy();
      reject(connected ? new Error('SSL handshake/communication error connecting to') : new ConnectError(true, 'ETIMEDOUT'));
    }, Math.max(1, timeoutS * 1000));
    s.once('connect', () => { connected = true; });
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      reject(connected ? new Error('SSL handshake/communication error connecting to') : new ConnectError(false, e.code));
    });
  });
}

export interface FetchResult extends ProbeResult {
  /** MD5 of the body (lowercase hex), when asked for. */
  digest?: string;
  status?: number;
  header?: string;
  /** The stream ended normally after some bytes (genhash prints a digest then). */
  received?: boolean;
}

/**
 * Fetch one URL and judge it. `msg` is keepalived's message: on failure the text that precedes
 * "server [ip]:proto:port." in its log ("Timeout connecting", "HTTP status code error to", ...).
 */
export async function fetchUrl(t: HttpTarget, url: Pick<HttpUrl, 'path' | 'status_code' | 'digest' | 'regex' | 'regex_no_match' | 'regex_options' | 'regex_min_offset' | 'regex_max_offset'>, opts: { wantDigest?: boolean } = {}): Promise<FetchResult> {
  const timeoutMs = Math.max(1, t.conn.connect_timeout * 1000);
  const regex = url.regex === undefined ? undefined : {
    regex: url.regex, options: url.regex_options, noMatch: url.regex_no_match,
    ...(url.regex_min_offset !== undefined ? { minOffset: url.regex_min_offset } : {}),
    ...(url.regex_max_offset !== undefined ? { maxOffset: url.regex_max_offset } : {}),
  };
  const reader = new ResponseReader(!!url.digest || !!opts.wantDigest, regex);
  const req = buildRequest(url.path, t.protocol, t.vhost, t.conn.connect_ip, t.conn.connect_port);
  // EOF or a reset both end the stream: judge what arrived (a reset before any byte is "no data").
  const judged = (): FetchResult => {
    const v = judgeResponse(reader, url);
    const r: FetchResult = { ok: v.ok, msg: v.msg, status: reader.status, header: reader.headerText, received: !reader.empty };
    if (url.digest || opts.wantDigest) r.digest = reader.digest();
    return r;
  };
  // keepalived's read timeout applies to each read: an idle connection fails the check. Its
  // wording: "WEB read" while waiting for the first bytes, "HTTP read" once the reply started.
  const timedOut = (connected: boolean): FetchResult => ({ ok: false, msg: !connected ? 'Timeout connecting' : reader.empty ? 'Timeout WEB read' : 'Timeout HTTP read' });
  // Plain HTTP is the hot path at scale: on the addon when it loads (see keel_net.c).
  const n = t.tls ? undefined : nativeNet();
  if (n && net.isIP(t.conn.connect_ip)) return exchangeNative(n, t.conn, req, timeoutMs, reader, judged, timedOut);
  let sock: net.Socket;
  if (t.tls) {
    try {
      sock = await tlsConnect(t, t.conn.connect_timeout);
    } catch (e) {
      return connectFailure(e);
    }
  } else {
    // One socket, one inactivity timer for the connect and every read, no intermediate promise.
    sock = net.connect(socketTarget(t.conn));
  }
  return new Promise<FetchResult>((resolve) => {
    let done = false;
    let connected = t.tls;
    const finish = (r: FetchResult): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => finish(timedOut(connected)));
    sock.on('data', (b: Buffer) => reader.feed(b));
    const end = (): void => finish(judged());
    const send = (): void => {
      connected = true;
      sock.write(req, (err) => {
        if (err) finish({ ok: false, msg: 'Cannot send get request to' });
      });
    };
    sock.on('end', end);
    sock.on('error', (e: NodeJS.ErrnoException) => (connected ? end() : finish(connectFailure(new ConnectError(false, e.code)))));
    sock.on('close', () => (connected ? end() : finish({ ok: false, msg: 'Connection failed' })));
    if (connected) send();
    else sock.once('connect', send);
  });
}

/**
 * The plain-HTTP exchange on the addon: connect (with bind_if and fwmark applied), send, read to
 * EOF, with the same per-step timeout; the bytes are read by the same ResponseReader.
 */
function exchangeNative(n: KeelNet, c: Connection, req: string, timeoutMs: number, reader: ResponseReader,
  judged: () => FetchResult, timedOut: (connected: boolean) => FetchResult): Promise<FetchResult> {
  return new Promise<FetchResult>((resolve) => {
    const h = n.httpExchange(c.connect_ip, c.connect_port, c.bindto ?? null, c.bind_port ?? 0, c.bind_if ?? null, c.fwmark ?? 0,
      Buffer.from(req), Math.max(1, Math.round(timeoutMs)), (kind, code, bytes) => {
        if (bytes) reader.feed(bytes);
        if (kind === EXCHANGE.DATA) return;
        if (kind === EXCHANGE.END) resolve(judged());
        else if (kind === EXCHANGE.CONNECT_FAILED) resolve(connectFailure(new ConnectError(false, errnoName(code))));
        else if (kind === EXCHANGE.WRITE_FAILED) resolve({ ok: false, msg: 'Cannot send get request to' });
        else resolve(timedOut(code !== EXCHANGE_PHASE.CONNECTING));
      });
    if (typeof h === 'number') resolve(connectFailure(new ConnectError(false, errnoName(h))));
  });
}

/**
 * keepalived: a connect the kernel refuses or resets is "Connection failed"; a socket it could not
 * even set up (bad bind address) is "Error connecting".
 */
function connectFailure(e: unknown): FetchResult {
  if (e instanceof ConnectError) return { ok: false, msg: e.timeout ? 'Timeout connecting' : e.errno === 'EADDRNOTAVAIL' || e.errno === 'EINVAL' ? 'Error connecting' : 'Connection failed' };
  return { ok: false, msg: (e as Error).message };
}

/** One attempt of an HTTP_GET/SSL_GET checker on its URL number `i`. */
export function probeHttpUrl(c: HttpChecker, i: number, rsVhost: string | undefined, vsVhost: string | undefined, material: TlsMaterial | undefined): Promise<FetchResult> {
  const url = c.url[i]!;
  const vhost = vhostFor(url, c, rsVhost, vsVhost);
  const t: HttpTarget = { conn: c, tls: c.type === 'SSL_GET', protocol: c.http_protocol, sni: c.enable_sni, ...(vhost !== undefined ? { vhost } : {}), ...(material ? { material } : {}) };
  return fetchUrl(t, url);
}
