// A progress line on stderr, only when a person is watching it (stderr is a terminal).
import type { WriteStream } from 'node:tty';

export class ProgressLine {
  private readonly startedAt = performance.now();
  private lastDrawn = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream | WriteStream) {}

  update(fraction: number): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.lastDrawn < 200 && fraction < 1) return;
    this.lastDrawn = now;
    const elapsed = (now - this.startedAt) / 1000;
    const left = fraction > 0.01 ? Math.max(0, (elapsed / fraction) * (1 - fraction)) : undefined;
    const eta = left === undefined ? '' : `, about ${Math.ceil(left)} s left`;
    this.stream.write(`\r\x1b[K${(fraction * 100).toFixed(1)}% read${eta}`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
  }
}
