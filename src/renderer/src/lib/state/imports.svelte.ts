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
}

export class ImportsState {
  items = $state.raw<ImportItem[]>([]);
  private nextKey = 1;

  /** Queues files picked or dropped; each goes on its own, whatever happens to the others. */
  async add(files: File[], settings: SessionSettings): Promise<void> {
    await Promise.all(files.map((file) => this.addOne(file, settings)));
  }

  /** Queues files the desktop app's dialog gave as paths. */
  async addPaths(paths: string[], settings: SessionSettings): Promise<void> {
    await Promise.all(paths.map((path) => this.importPath(this.create(path.split(/[\\/]/).pop() ?? path, 'queued'), path, settings)));
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
      this.update((item) => item.sessionId === session_id, { fraction, etaSeconds: eta_seconds, stage: 'processing' });
    } else if (push.kind === 'session') {
      const { id, status, error } = push.session;
      if (status === 'done' || status === 'cancelled' || status === 'failed') {
        this.update((item) => item.sessionId === id, { stage: status, fraction: status === 'done' ? 1 : undefined, error, etaSeconds: null });
      }
    }
  }

  private async addOne(file: File, settings: SessionSettings): Promise<void> {
    const item = this.create(file.name, 'uploading');
    const located = await api.fileToImport(file, (fraction) => this.update((i) => i.key === item.key, { fraction }));
    if (!located.ok) return this.update((i) => i.key === item.key, { stage: 'failed', error: located.error.message });
    await this.importPath(item, located.value.path, settings);
  }

  private async importPath(item: ImportItem, path: string, settings: SessionSettings): Promise<void> {
    this.update((i) => i.key === item.key, { stage: 'queued', fraction: 0 });
    const result = await api.importFile({ path, settings, title: item.name.replace(/\.[^.]+$/, '') || item.name });
    if (!result.ok) return this.update((i) => i.key === item.key, { stage: 'failed', error: result.error.message });
    this.update((i) => i.key === item.key, { sessionId: result.value.id });
  }

  private create(name: string, stage: ImportItem['stage']): ImportItem {
    const item: ImportItem = { key: this.nextKey++, name, sessionId: null, stage, fraction: 0, etaSeconds: null, error: null };
    this.items = [...this.items, item];
    return item;
  }

  private update(which: (item: ImportItem) => boolean, changes: Partial<{ [K in keyof ImportItem]: ImportItem[K] | undefined }>): void {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    this.items = this.items.map((item) => (which(item) ? { ...item, ...defined } : item));
  }
}

export const imports = new ImportsState();
