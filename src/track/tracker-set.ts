// Everything VRRP tracks that is not an interface: vrrp_script, track_file, vrrp_track_process.
// The daemon feeds initialValues() to the engine before start and every change after it
// (engine.setTracker(kind, name, value)). Only trackers some instance or sync group refers to are
// run, as keepalived runs only referenced scripts.
import type { Config } from '../config/types.js';
import type { Logger } from '../daemon/log.js';
import { ScriptRunner } from '../notify/runner.js';
import { trackerKey, type TrackerKind, type TrackerValue } from '../vrrp/priority.js';
import { FileTracker } from './track-file.js';
import { ProcessTrackers } from './track-process.js';
import { ScriptTracker } from './vrrp-script.js';

export type TrackerChange = (kind: TrackerKind, name: string, value: TrackerValue) => void;

export interface TrackerSetOptions {
  runner?: ScriptRunner;
  /** /proc (tests point it elsewhere). */
  procRoot?: string;
  /** How often /proc is scanned for vrrp_track_process (ms, default 1000). */
  processPollMs?: number;
}

/** Names referenced by any instance or sync group, per tracker list. */
function referenced(config: Config, key: 'track_script' | 'track_file' | 'track_process'): Set<string> {
  const out = new Set<string>();
  const holders: { [k: string]: unknown }[] = [...config.vrrp_instances, ...config.vrrp_sync_groups] as never;
  for (const h of holders) for (const t of (h[key] as { name: string }[] | undefined) ?? []) out.add(t.name);
  return out;
}

export class TrackerSet {
  private readonly runner: ScriptRunner;
  private readonly scripts: ScriptTracker[] = [];
  private readonly files: FileTracker[] = [];
  private readonly processes: ProcessTrackers;
  private emit: TrackerChange = () => undefined;

  constructor(config: Config, private readonly log: Logger, o: TrackerSetOptions = {}) {
    this.runner = o.runner ?? new ScriptRunner(log);
    const useScript = referenced(config, 'track_script');
    const useFile = referenced(config, 'track_file');
    const useProc = referenced(config, 'track_process');
    for (const s of config.vrrp_scripts) {
      if (!useScript.has(s.name) || !s.script) continue;
      this.scripts.push(new ScriptTracker(s, config, this.runner, log, (ok) => this.emit('script', s.name, ok)));
    }
    for (const t of config.track_files) {
      if (!useFile.has(t.name) || !t.file) continue;
      this.files.push(new FileTracker(t, log, (v) => this.emit('file', t.name, v)));
    }
    this.processes = new ProcessTrackers(config.vrrp_track_processes.filter((p) => useProc.has(p.name)), log,
      (name, up) => this.emit('process', name, up), { ...(o.procRoot ? { root: o.procRoot } : {}), ...(o.processPollMs ? { pollMs: o.processPollMs } : {}) });
  }

  /** Values before anything has run: scripts 'init' (false with init_fail), files as read, processes as found. */
  initialValues(): Record<string, TrackerValue> {
    const out: Record<string, TrackerValue> = {};
    for (const s of this.scripts) out[trackerKey('script', s.script.name)] = s.initial;
    for (const f of this.files) out[trackerKey('file', f.t.name)] = f.current;
    for (const [name, up] of this.processes.current) out[trackerKey('process', name)] = up;
    return out;
  }

  /** The same values as a list, ready for engine.setTracker(kind, name, value) before engine.start. */
  initial(): { kind: TrackerKind; name: string; value: TrackerValue }[] {
    const out: { kind: TrackerKind; name: string; value: TrackerValue }[] = [];
    for (const s of this.scripts) out.push({ kind: 'script', name: s.script.name, value: s.initial });
    for (const f of this.files) out.push({ kind: 'file', name: f.t.name, value: f.current });
    for (const [name, up] of this.processes.current) out.push({ kind: 'process', name, value: up });
    return out;
  }

  start(onChange: TrackerChange): void {
    this.emit = onChange;
    for (const s of this.scripts) s.start();
    for (const f of this.files) f.start();
    this.processes.start();
  }

  /** Stop every timer and watcher and end running scripts (SIGTERM, SIGKILL after 1 s). */
  async stop(): Promise<void> {
    this.emit = () => undefined;
    for (const s of this.scripts) s.stop();
    for (const f of this.files) f.stop();
    this.processes.stop();
    await this.runner.killAll(1000);
  }
}
