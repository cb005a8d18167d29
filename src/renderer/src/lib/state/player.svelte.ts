// The open session's audio as a player: play and pause, stop, seek, the whole session from the
// playhead or one stretch of it (the selection). The playhead's time is read every animation
// frame while playing, so the timeline's playhead moves smoothly.

/** A stretch being played: playback pauses at its end. */
export interface PlayRange {
  start: number;
  end: number;
}

/** Within this of the end, playing starts again from the beginning (or from the stretch's start). */
const AT_END = 0.05;

export class Player {
  /** The playhead, seconds from the start of the session. */
  time = $state(0);
  playing = $state(false);
  /** The stretch being played (paused in, or playing), or null: the whole session. */
  range = $state.raw<PlayRange | null>(null);
  /** Whether there is audio to play. */
  ready = $state(false);

  #audio: HTMLAudioElement | null = null;
  #frame = 0;

  /** Drives `audio`: until the returned function is called (when the element goes). */
  attach(audio: HTMLAudioElement): () => void {
    this.#audio = audio;
    this.ready = true;
    this.time = 0;
    this.range = null;
    const onPlay = () => {
      this.playing = true;
      this.#loop();
    };
    const onPause = () => {
      this.playing = false;
      cancelAnimationFrame(this.#frame);
      this.#frame = 0;
      this.#read();
    };
    const onEnded = () => {
      onPause();
      this.range = null;
    };
    audio.addEventListener('play', onPlay);
    audio.addEventListener('pause', onPause);
    audio.addEventListener('ended', onEnded);
    return () => {
      audio.removeEventListener('play', onPlay);
      audio.removeEventListener('pause', onPause);
      audio.removeEventListener('ended', onEnded);
      cancelAnimationFrame(this.#frame);
      this.#frame = 0;
      if (this.#audio === audio) {
        audio.pause();
        this.#audio = null;
        this.ready = false;
        this.playing = false;
        this.time = 0;
        this.range = null;
      }
    };
  }

  /** The audio's length once known, else unbounded. */
  get #end(): number {
    const duration = this.#audio?.duration;
    return duration !== undefined && Number.isFinite(duration) ? duration : Infinity;
  }

  /** Space: pauses, or plays on from the playhead (a stretch paused midway goes on to its end). */
  toggle(): void {
    if (this.playing) this.pause();
    else this.resume();
  }

  /** Plays from the playhead: the stretch paused in, else the whole session (from its start once at the end). */
  resume(): void {
    const range = this.range;
    if (range && (this.time < range.start || this.time >= range.end - AT_END)) this.range = null;
    if (!this.range && this.time >= this.#end - AT_END) this.seek(0);
    void this.#play();
  }

  /** The whole session from `from` (by default the playhead) to its end, through every segment. */
  playAll(from = this.time): void {
    this.range = null;
    this.seek(from);
    void this.#play();
  }

  /** Exactly [start, end]: from its start, paused at its end. */
  playRange(start: number, end: number): void {
    this.seek(start);
    this.range = { start, end };
    void this.#play();
  }

  pause(): void {
    this.#audio?.pause();
  }

  /** Escape: pauses and goes back to where the stretch started, else to `home` (the selection's start, or 0). */
  stop(home = 0): void {
    const back = this.range?.start ?? home;
    this.#audio?.pause();
    this.range = null;
    this.seek(back);
  }

  /** Moves the playhead; a stretch being played is given up when the playhead leaves it. */
  seek(time: number): void {
    const audio = this.#audio;
    if (!audio) return;
    const to = Math.min(Math.max(time, 0), this.#end);
    const range = this.range;
    if (range && (to < range.start || to > range.end)) this.range = null;
    audio.currentTime = to;
    this.time = to;
  }

  async #play(): Promise<void> {
    // A refused play (no audio yet, a policy) leaves the player paused, which it shows.
    await this.#audio?.play().catch(() => undefined);
  }

  #read(): void {
    if (this.#audio) this.time = this.#audio.currentTime;
  }

  #loop(): void {
    if (this.#frame !== 0) return;
    const step = () => {
      this.#frame = 0;
      const audio = this.#audio;
      if (!audio || audio.paused) return;
      const range = this.range;
      if (range && audio.currentTime >= range.end) {
        audio.pause();
        audio.currentTime = range.end;
        this.time = range.end;
        this.range = null;
        return;
      }
      this.time = audio.currentTime;
      this.#frame = requestAnimationFrame(step);
    };
    this.#frame = requestAnimationFrame(step);
  }
}

/** The one player: the open session's. */
export const player = new Player();
