// vrrp_script, vrrp_track_process, track_file (and vrrp_track_file).
import { defineBlock, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import type { ScriptSpec } from '../words.js';
import { readScript } from '../words.js';

export interface VrrpScript {
  name: string;
  script?: ScriptSpec;
  interval: number;
  timeout?: number;
  weight: number;
  weight_reverse: boolean;
  rise: number;
  fall: number;
  user?: { user: string; group?: string };
  init_fail: boolean;
  pos?: import('../diagnostics.js').Pos;
}

export function newVrrpScript(name: string): VrrpScript {
  return { name, interval: 1, weight: 0, weight_reverse: false, rise: 1, fall: 1, init_fail: false };
}

export interface TrackProcess {
  name: string;
  [key: string]: unknown;
}

export interface TrackFile {
  name: string;
  file?: string;
  weight: number;
  weight_reverse: boolean;
  [key: string]: unknown;
}

const scriptKeywords: Keyword<VrrpScript>[] = [
  { name: 'script', args: 'COMMAND', handle: (s, a) => { const v = readScript(a); if (v) s.script = v; } },
  { name: 'interval', args: 'SECS', handle: (s, a) => { const v = a.timer(1, 0.001, 2147); if (v !== undefined) s.interval = v; } },
];
export const vrrpScriptBlock: BlockDef<VrrpScript> = defineBlock('vrrp_script', scriptKeywords);

export const trackProcessBlock: BlockDef<TrackProcess> = defineBlock('vrrp_track_process', []);
export const trackFileBlock: BlockDef<TrackFile> = defineBlock('track_file', []);

export function validateTrackers(_config: Config, _ctx: BuildContext): void {}
