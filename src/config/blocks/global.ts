// global_defs.
import { defineBlock, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';

export interface GlobalDefs {
  router_id?: string;
  notification_email: string[];
  notification_email_from?: string;
  smtp_server?: { host: string; port: number };
  smtp_connect_timeout: number;
  enable_script_security: boolean;
  script_user?: { user: string; group?: string };
  vrrp_version: 2 | 3;
  vrrp_strict: boolean;
  [key: string]: unknown;
}

export function newGlobalDefs(): GlobalDefs {
  return {
    notification_email: [],
    smtp_connect_timeout: 30,
    enable_script_security: false,
    vrrp_version: 2,
    vrrp_strict: false,
  };
}

type K = Keyword<GlobalDefs>;
const keywords: K[] = [
  { name: 'router_id', args: 'STRING', handle: (g, a) => { const v = a.str(); if (v !== undefined) g.router_id = v; } },
  { name: 'enable_script_security', handle: (g) => { g.enable_script_security = true; } },
  { name: 'vrrp_strict', handle: (g) => { g.vrrp_strict = true; } },
];

export const globalDefsBlock: BlockDef<GlobalDefs> = defineBlock('global_defs', keywords, 'Global settings');

/** Checks across global_defs once the whole config is read. */
export function validateGlobal(_config: Config, _ctx: BuildContext): void {}
