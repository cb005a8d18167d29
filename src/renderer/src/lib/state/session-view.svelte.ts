// The open session: its events (stored, then live as they are pushed), derived into timeline
// blocks and a results list, its waveform and its audio for playback.
import type { ApiResponse } from '../../../../shared/api';
import type { Push } from '../../../../shared/contract';
import { isUnfinished, type Session } from '../../../../shared/sessions';
import { api } from '../api';
import type { TimelineSegment } from '../timeline/types';

/** Events are read in pages of this many. */
const PAGE = 10_000;

export interface ResultRow {
  segment: TimelineSegment;
  channel: number;
  start: number;
  end: number;
  kind: TimelineSegment['kind'];
  /** The model output (e.g. "count 35328"), or the error's message. */
  text: string;
}

function outputText(event: Extract<ApiResponse, { type: 'segment' }>): string {
  const { channel: _channel, type: _type, start_time: _start, end_time: _end, is_final: _final, ...output } = event;
  return Object.entries(output)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}

/**
 * Timeline blocks from events in order: finals stay; the interim of an utterance is shown until
 * its final (or the error of its final) arrives; an error covers the audio its request was for,
 * or without one is marked where its channel had got to. Once the session is over,
 * an interim still waiting belonged to speech the VAD dropped (too short): it goes.
 */
export function blocksOf(events: readonly ApiResponse[], finished: boolean): ResultRow[] {
  const rows: ResultRow[] = [];
  const interims = new Map<number, ResultRow>();
  const reached = new Map<number, number>();
  events.forEach((event, index) => {
    const channel = event.channel;
    if (event.type === 'segment') {
      const kind = event.is_final === false ? 'interim' : 'final';
      const row: ResultRow = {
        segment: { id: index, channel, start: event.start_time, end: event.end_time, kind, label: outputText(event) },
        channel,
        start: event.start_time,
        end: event.end_time,
        kind,
        text: outputText(event),
      };
      reached.set(channel, Math.max(reached.get(channel) ?? 0, event.end_time));
      if (kind === 'interim') interims.set(channel, row);
      else {
        if (interims.get(channel)?.start === event.start_time) interims.delete(channel);
        rows.push(row);
      }
    } else if (event.type === 'error') {
      // A failed model request says which audio it was for: it takes the place of that
      // utterance's block. Other errors are marked where the channel had got to.
      const at = reached.get(channel) ?? 0;
      const start = event.start_time ?? at;
      const end = event.end_time ?? at;
      if (event.start_time !== undefined && interims.get(channel)?.start === start) interims.delete(channel);
      rows.push({ segment: { id: index, channel, start, end, kind: 'error', label: event.message }, channel, start, end, kind: 'error', text: event.message });
    } else if (event.type === 'active' || event.type === 'inactive') {
      reached.set(channel, Math.max(reached.get(channel) ?? 0, event.time));
    }
  });
  if (!finished) rows.push(...interims.values());
  return rows.sort((a, b) => a.start - b.start || a.channel - b.channel);
}

export class SessionView {
  session = $state.raw<Session | null>(null);
  events = $state.raw<ApiResponse[]>([]);
  waveform = $state.raw<{ peaks: Float32Array[]; peaksPerSecond: number } | undefined>(undefined);
  audio = $state.raw<{ url: string; mime: string } | null>(null);
  selectedId = $state<number | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);

  rows = $derived(blocksOf(this.events, this.session !== null && !isUnfinished(this.session)));
  segments = $derived(this.rows.map((row) => row.segment));
  selected = $derived(this.rows.find((row) => row.segment.id === this.selectedId) ?? null);
  /** Per channel, whether speech is going on (from the latest active/inactive). */
  speaking = $derived.by(() => {
    const state: boolean[] = [];
    for (const event of this.events) {
      if (event.type === 'active') state[event.channel] = true;
      else if (event.type === 'inactive') state[event.channel] = false;
    }
    return state;
  });

  private pending: ApiResponse[] = [];
  private flushScheduled = false;
  private loadToken = 0;

  async open(session: Session): Promise<void> {
    const token = ++this.loadToken;
    this.session = session;
    this.events = [];
    this.pending = [];
    this.waveform = undefined;
    this.audio = null;
    this.selectedId = null;
    this.error = null;
    this.loading = true;
    const events: ApiResponse[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await api.getEvents({ id: session.id, offset, limit: PAGE });
      if (token !== this.loadToken) return;
      if (!page.ok) {
        this.error = page.error.message;
        break;
      }
      events.push(...page.value);
      if (page.value.length < PAGE) break;
    }
    // Events pushed while the stored ones were read come after them.
    this.events = [...events, ...this.pending];
    this.pending = [];
    this.loading = false;
    if (session.status !== 'recording') await this.loadMedia(session);
  }

  close(): void {
    this.loadToken++;
    this.session = null;
    this.events = [];
    this.waveform = undefined;
    this.audio = null;
  }

  apply(push: Push): void {
    if (push.kind === 'event' && push.session_id === this.session?.id) {
      this.pending.push(push.event);
      // Imports run far faster than real time: fold a burst of events into one update.
      if (!this.loading && !this.flushScheduled) {
        this.flushScheduled = true;
        requestAnimationFrame(() => {
          this.flushScheduled = false;
          if (this.loading) return;
          this.events = [...this.events, ...this.pending];
          this.pending = [];
        });
      }
    } else if (push.kind === 'session' && push.session.id === this.session?.id) {
      const wasUnfinished = isUnfinished(this.session);
      this.session = push.session;
      if (wasUnfinished && !isUnfinished(push.session)) void this.loadMedia(push.session);
    } else if (push.kind === 'deleted' && push.id === this.session?.id) {
      this.close();
    }
  }

  private async loadMedia(session: Session): Promise<void> {
    if (!session.audio_path) return;
    const token = this.loadToken;
    const [waveform, audio] = await Promise.all([api.getWaveform({ id: session.id, max_points: 200_000 }), api.getAudioUrl({ id: session.id })]);
    if (token !== this.loadToken) return;
    if (waveform.ok)
      this.waveform = { peaks: waveform.value.channels.map((points) => Float32Array.from(points)), peaksPerSecond: waveform.value.points_per_second };
    if (audio.ok) this.audio = audio.value;
  }
}

export const view = new SessionView();
