// The import queue as the person sees it: each file with its progress, time left, result or
// the reason it could not be read. A file that fails does not stop the others.
import type { Push } from '../../../../shared/contract';
import type { SessionSettings } from '../../../../shared/sessions';
import { api } from '../api';

export interface ImportItem {
  key: number;
  name: string;
  /** Known once the back end took the file. */
  sessionId: string | null;
  stage: 'uploading' | 'queued' | 'processing' | 'done' | 'cancelled' | 'failed';
  fraction: number;
  etaSeconds: number | null;
  error: string | null;
  /** How the file is processed, once the back end took it. */
  settings: SessionSettings | null;
}

/** How the import queue processes the next files: the Settings' defaults, or the person's choice here. */
export type ImportChoice = { mode: SessionSettings['mode']; interim_results: boolean } | null;

/** The settings in a few words: mode, interim results, VAD threshold or chunk length. */
export function describeSettings(settings: SessionSettings): string {
  if (settings.mode === 'simple') return `simple, ${(settings.chunk_ms ?? 1000) / 1000} s chunks`;
  const vad = settings.vad ? `, speech above ${settings.vad.positive_speech_threshold}` : '';
  return `segmented${settings.interim_results ? ', interim' : ''}${vad}`;
}

export class ImportsState {
  items = $state.raw<ImportItem[]>([]);
  /** The person's choice for the next files, made in the queue; null: the Settings' import defaults. */
  choice = $state.raw<ImportChoice>(null);
  private nextKey = 1;
  /** Sessions being adopted (a running import found after a reload), so that each is fetched once. */
  private adopting = new Set<string>();
  /** This page's importFile calls still unanswered: their sessions' first reports may come first. */
  private starting = new Set<Promise<unknown>>();

  /** The whole queue's progress: the files still to finish and the mean of their fractions. */
  overall = $derived.by(() => {
    const counted = this.items.filter((item) => item.stage !== 'failed' && item.stage !== 'cancelled');
    const left = counted.filter((item) => item.stage !== 'done').length;
    const fraction = counted.length === 0 ? 1 : counted.reduce((sum, item) => sum + (item.stage === 'done' ? 1 : item.fraction), 0) / counted.length;
    return { files: counted.length, left, fraction };
  });

  /** Queues files picked or dropped; each goes on its own, whatever happens to the others. */
  async add(files: File[], defaults: SessionSettings): Promise<void> {
    const settings = this.withChoice(defaults);
    await Promise.all(files.map((file) => this.addOne(file, settings)));
  }

  /** Queues files the desktop app's dialog gave as paths. */
  async addPaths(paths: string[], defaults: SessionSettings): Promise<void> {
    const settings = this.withChoice(defaults);
    await Promise.all(paths.map((path) => this.importPath(this.create(path.split(/[\\/]/).pop() ?? path, 'queued'), path, settings)));
  }

  private withChoice(defaults: SessionSettings): SessionSettings {
    return this.choice ? { ...defaults, ...this.choice } : defaults;
  }

  async cancel(item: ImportItem): Promise<void> {
    if (item.sessionId) await api.cancelImport({ id: item.sessionId });
  }

  dismiss(item: ImportItem): void {
    this.items = this.items.filter((other) => other.key !== item.key);
  }

  apply(push: Push): void {
    if (push.kind === 'progress') {
      const { session_id, fraction, eta_seconds } = push.progress;
      if (!this.items.some((item) => item.sessionId === session_id)) void this.adopt(session_id);
      this.update((item) => item.sessionId === session_id, { fraction, etaSeconds: eta_seconds, stage: 'processing' });
    } else if (push.kind === 'session') {
      const { id, status, error } = push.session;
      if (status === 'done' || status === 'cancelled' || status === 'failed') {
        this.update((item) => item.sessionId === id, { stage: status, fraction: status === 'done' ? 1 : undefined, error, etaSeconds: null });
      }
    }
  }

  /**
   * An import this page did not start (it was reloaded, or another window started it): shown
   * with its bar and Cancel from its first progress report on.
   */
  private async adopt(sessionId: string): Promise<void> {
    if (this.adopting.has(sessionId)) return;
    this.adopting.add(sessionId);
    const result = await api.getSession({ id: sessionId });
    // It may be one this page is starting, whose answer has not arrived yet: not a second item.
    await Promise.all(this.starting);
    if (!result.ok || result.value.status !== 'processing' || this.items.some((item) => item.sessionId === sessionId)) return;
    const session = result.value;
    const item = this.create(session.original_name ?? session.title, 'processing');
    this.update((i) => i.key === item.key, { sessionId, settings: session.settings });
  }

  private async addOne(file: File, settings: SessionSettings): Promise<void> {
    const item = this.create(file.name, 'uploading');
    const located = await api.fileToImport(file, (fraction) => this.update((i) => i.key === item.key, { fraction }));
    if (!located.ok) return this.update((i) => i.key === item.key, { stage: 'failed', error: located.error.message });
    await this.importPath(item, located.value.path, settings);
  }

  private async importPath(item: ImportItem, path: string, settings: SessionSettings): Promise<void> {
    this.update((i) => i.key === item.key, { stage: 'queued', fraction: 0 });
    // Tracked until the item knows its session, so that an early report is not taken for another's.
    const call = (async () => {
      const result = await api.importFile({ path, settings, title: item.name.replace(/\.[^.]+$/, '') || item.name });
      if (!result.ok) this.update((i) => i.key === item.key, { stage: 'failed', error: result.error.message });
      else this.update((i) => i.key === item.key, { sessionId: result.value.id, settings: result.value.settings });
    })();
    this.starting.add(call);
    await call.finally(() => this.starting.delete(call));
  }

  private create(name: string, stage: ImportItem['stage']): ImportItem {
    const item: ImportItem = { key: this.nextKey++, name, sessionId: null, stage, fraction: 0, etaSeconds: null, error: null, settings: null };
    this.items = [...this.items, item];
    return item;
  }

  private update(which: (item: ImportItem) => boolean, changes: Partial<{ [K in keyof ImportItem]: ImportItem[K] | undefined }>): void {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    this.items = this.items.map((item) => (which(item) ? { ...item, ...defined } : item));
  }
}

export const imports = new ImportsState();
