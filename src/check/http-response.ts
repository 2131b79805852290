// The pure half of HTTP_GET / SSL_GET: the request bytes keepalived sends, and the reading of the
// response (status line, Content-Length, MD5 of the body, regex with offsets) as check_http.c
// does it. Written by hand rather than with undici because keepalived's semantics are about the
// raw bytes: it sends exactly "GET … HTTP/1.0" (undici only speaks 1.1 with its own headers), reads
// to EOF and hashes the body as received — a chunked body is hashed with its chunk framing, which
// an HTTP library would decode and so produce a digest genhash never printed.
import { createHash, type Hash } from 'node:crypto';

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

/**
 * The GET request. Host is the virtualhost when one applies, else the address and port
 * ("[v6]:port" for IPv6); 1.0C and 1.1 add "Connection: close".
 */
export function buildRequest(path: string, protocol: HttpProtocol, vhost: string | undefined, addr: string, port: number): string {
  const close = protocol === '1.0' ? '' : 'Connection: close\r\n';
  const host = vhost !== undefined ? vhost : addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
  return `GET ${path} HTTP/1.${protocol === '1.1' ? 1 : 0}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

/** Status code lists are inclusive ranges; keepalived's default is 200-299. */
export function statusMatches(ranges: readonly [number, number][], code: number): boolean {
  if (code < 100 || code > 599) return false;
  const list = ranges.length ? ranges : [[200, 299] as [number, number]];
  return list.some(([lo, hi]) => code >= lo && code <= hi);
}

/** The first line's status code ("HTTP/1.1 404 Not Found" -> 404); 0 when there is none. */
export function parseStatus(head: string): number {
  const m = /^HTTP\/\d+\.\d+\s+(\d{3})/.exec(head);
  return m ? Number(m[1]) : 0;
}

/** Content-Length from the header block; undefined when absent or unreadable. */
export function parseContentLength(head: string): number | undefined {
  const m = /\r?\ncontent-length:[ \t]*(\d+)/i.exec(head);
  return m ? Number(m[1]) : undefined;
}

export interface RegexSpec {
  regex: string;
  options?: readonly string[];
  noMatch?: boolean;
  minOffset?: number;
  maxOffset?: number;
}

/** keepalived's regex_options (PCRE2 names) as JavaScript flags. */
export function regexFlags(options: readonly string[] = []): string {
  let f = '';
  for (const o of options) {
    if (o === 'caseless' && !f.includes('i')) f += 'i';
    else if (o === 'multiline' && !f.includes('m')) f += 'm';
    else if (o === 'dotall' && !f.includes('s')) f += 's';
  }
  return f;
}

/**
 * Does the body match? A match must start at or after min_offset and before max_offset (offsets
 * in bytes of the body). The body is held as latin1 so that character and byte offsets agree.
 */
export function regexMatches(body: string, spec: RegexSpec): boolean {
  const re = new RegExp(spec.regex, `g${regexFlags(spec.options)}`);
  re.lastIndex = spec.minOffset ?? 0;
  const m = re.exec(body);
  if (!m) return false;
  return !spec.maxOffset || m.index < spec.maxOffset;
}

/** How much body to keep for regex matching: enough for max_offset, else 1 MiB. */
function regexKeep(spec: RegexSpec | undefined): number {
  if (!spec) return 0;
  return spec.maxOffset ? spec.maxOffset + 65536 : 1 << 20;
}

/** Reads one response as it streams in. */
export class ResponseReader {
  private head: Buffer = Buffer.alloc(0);
  private inBody = false;
  status = 0;
  contentLength: number | undefined;
  /** Body bytes received (all of them, even beyond Content-Length). */
  rxBytes = 0;
  private hashed = 0;
  private readonly md5: Hash | undefined;
  private readonly keep: number;
  private bodyParts: Buffer[] = [];
  private kept = 0;
  /** The header block (through the blank line), once seen. */
  headerText = '';
  received = 0;

  constructor(wantDigest: boolean, private readonly regex?: RegexSpec) {
    this.md5 = wantDigest ? createHash('md5') : undefined;
    this.keep = regexKeep(regex);
  }

  feed(chunk: Buffer): void {
    this.received += chunk.length;
    if (!this.inBody) {
      this.head = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
      const end = this.head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.head.length > 65536) this.head = this.head.subarray(this.head.length - 4); // a server sending no header end: keep the tail only
        return;
      }
      this.inBody = true;
      this.headerText = this.head.subarray(0, end + 4).toString('latin1');
      this.status = parseStatus(this.headerText);
      this.contentLength = parseContentLength(this.headerText);
      chunk = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
    }
    this.body(chunk);
  }

  private body(b: Buffer): void {
    if (!b.length) return;
    if (this.md5) {
      // keepalived hashes at most Content-Length bytes when the server gave one.
      const limit = this.contentLength === undefined ? b.length : Math.max(0, Math.min(b.length, this.contentLength - this.hashed));
      if (limit) this.md5.update(limit === b.length ? b : b.subarray(0, limit));
      this.hashed += limit;
    }
    this.rxBytes += b.length;
    if (this.kept < this.keep) {
      const part = b.subarray(0, this.keep - this.kept);
      this.bodyParts.push(part);
      this.kept += part.length;
    }
  }

  /** Nothing at all came back (keepalived: "Read, no data received from"). */
  get empty(): boolean {
    return this.received === 0;
  }

  /** The MD5 of the body, lowercase hex (the digest of nothing when no header end was seen). */
  digest(): string {
    if (this.digestHex === undefined) this.digestHex = this.md5 ? this.md5.digest('hex') : '';
    return this.digestHex;
  }
  private digestHex: string | undefined;

  regexMatched(): boolean {
    if (!this.regex) return false;
    return regexMatches(Buffer.concat(this.bodyParts).toString('latin1'), this.regex);
  }
}

export type HttpVerdict = { ok: true; msg: 'HTTP status code' | 'MD5 digest' | 'Regex match' } | { ok: false; msg: string };

/** check_http.c http_handle_response(): empty, status, digest, regex — the first failure wins. */
export function judgeResponse(r: ResponseReader, url: { status_code: [number, number][]; digest?: string; regex?: string; regex_no_match?: boolean }): HttpVerdict {
  if (r.empty) return { ok: false, msg: 'Read, no data received from ' };
  if (!statusMatches(url.status_code, r.status)) return { ok: false, msg: 'HTTP status code error to' };
  let msg: 'HTTP status code' | 'MD5 digest' | 'Regex match' = 'HTTP status code';
  if (url.digest) {
    if (r.digest() !== url.digest.toLowerCase()) return { ok: false, msg: 'MD5 digest error to' };
    msg = 'MD5 digest';
  }
  if (url.regex) {
    if (r.regexMatched() === !!url.regex_no_match) return { ok: false, msg: 'Regex match failed' };
    msg = 'Regex match';
  }
  return { ok: true, msg };
}
