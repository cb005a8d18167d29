// The sessions in the sidebar: newest first, filtered by the search, kept in step with what the
// back end pushes (new sessions, status changes, renames, deletions).
import type { Push } from '../../../../shared/contract';
import type { Session } from '../../../../shared/sessions';
import { api } from '../api';
import { matchesSearch } from '../../../../shared/search';

/** Enough for any sidebar; the search narrows the rest. */
const PAGE = 500;

export class SessionsState {
  list = $state.raw<Session[]>([]);
  total = $state(0);
  query = $state('');
  selectedId = $state<string | null>(null);
  error = $state<string | null>(null);
  selected = $derived(this.list.find((session) => session.id === this.selectedId) ?? null);

  async refresh(): Promise<void> {
    const result = await api.listSessions({ limit: PAGE, query: this.query.trim() || undefined });
    if (!result.ok) {
      this.error = result.error.message;
      return;
    }
    this.error = null;
    this.list = result.value.sessions;
    this.total = result.value.total;
  }

  apply(push: Push): void {
    if (push.kind === 'deleted') {
      this.list = this.list.filter((session) => session.id !== push.id);
      if (this.selectedId === push.id) this.selectedId = null;
      return;
    }
    if (push.kind !== 'session') return;
    const index = this.list.findIndex((session) => session.id === push.session.id);
    if (index >= 0) this.list = this.list.with(index, push.session);
    // A new session: on top, if the search would show it.
    else if (!this.query.trim() || matchesSearch(push.session, this.query)) this.list = [push.session, ...this.list];
  }

  async rename(id: string, title: string): Promise<string | null> {
    const result = await api.renameSession({ id, title });
    return result.ok ? null : result.error.message;
  }

  async remove(id: string): Promise<string | null> {
    const result = await api.deleteSession({ id });
    return result.ok ? null : result.error.message;
  }
}

export const sessions = new SessionsState();
