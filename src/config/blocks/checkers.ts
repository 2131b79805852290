// Checker blocks: HTTP_GET, SSL_GET, TCP_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK,
// PING_CHECK, FILE_CHECK, BFD_CHECK, and the top-level SSL block.
import { defineBlock, type BlockDef, type Keyword } from '../schema.js';

export type CheckerType = 'HTTP_GET' | 'SSL_GET' | 'TCP_CHECK' | 'MISC_CHECK' | 'SMTP_CHECK' | 'DNS_CHECK' | 'UDP_CHECK' | 'PING_CHECK' | 'FILE_CHECK' | 'BFD_CHECK';

export interface Checker {
  type: CheckerType;
  [key: string]: unknown;
}

export function newChecker(type: string): Checker {
  return { type: type as CheckerType };
}

export interface SslConfig {
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
}

const common: Keyword<Checker>[] = [
  { name: 'connect_timeout', handle: (c, a) => { const v = a.timer(1); if (v !== undefined) c.connect_timeout = v; } },
];

export const checkerBlocks: Record<CheckerType, BlockDef<Checker>> = {
  HTTP_GET: defineBlock('HTTP_GET', [...common]),
  SSL_GET: defineBlock('SSL_GET', [...common]),
  TCP_CHECK: defineBlock('TCP_CHECK', [...common]),
  MISC_CHECK: defineBlock('MISC_CHECK', []),
  SMTP_CHECK: defineBlock('SMTP_CHECK', [...common]),
  DNS_CHECK: defineBlock('DNS_CHECK', [...common]),
  UDP_CHECK: defineBlock('UDP_CHECK', [...common]),
  PING_CHECK: defineBlock('PING_CHECK', [...common]),
  FILE_CHECK: defineBlock('FILE_CHECK', []),
  BFD_CHECK: defineBlock('BFD_CHECK', []),
};

export const sslBlock: BlockDef<SslConfig> = defineBlock('SSL', []);
