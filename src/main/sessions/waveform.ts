// The envelope of a session's audio for the timeline: per channel, the loudest absolute sample
// of each short stretch. Computed by decoding the stored audio as a stream.
import { decodeAudioFile } from '../engine/file-source';

export interface Envelope {
  points_per_second: number;
  duration: number;
  channels: number[][];
}

/** At most 100 points a second (10 ms), and no more than `maxPoints` in all. */
export function pointsPerSecondFor(durationSeconds: number, maxPoints: number): number {
  if (durationSeconds <= 0) return 100;
  return Math.min(100, maxPoints / durationSeconds);
}

export async function computeEnvelope(path: string, durationHint: number | null, maxPoints: number): Promise<Envelope> {
  let pointsPerSecond: number;
  let bucket = 0;
  let channels: number[][] = [];
  let loudest: number[] = [];
  let filled = 0;
  let samples = 0;
  let sampleRate = 0;
  for await (const chunk of decodeAudioFile(path)) {
    if (sampleRate === 0) {
      sampleRate = chunk.sampleRate;
      pointsPerSecond = pointsPerSecondFor(durationHint ?? 0, maxPoints);
      bucket = Math.max(1, Math.round(sampleRate / pointsPerSecond));
      channels = chunk.channelData.map(() => []);
      loudest = chunk.channelData.map(() => 0);
    }
    const length = chunk.channelData[0]!.length;
    for (let i = 0; i < length; i++) {
      for (let c = 0; c < channels.length; c++) {
        const x = Math.abs(chunk.channelData[c]![i]!);
        if (x > loudest[c]!) loudest[c] = x;
      }
      if (++filled === bucket) {
        for (let c = 0; c < channels.length; c++) {
          channels[c]!.push(Math.round(loudest[c]! * 1000) / 1000);
          loudest[c] = 0;
        }
        filled = 0;
      }
    }
    samples += length;
  }
  if (filled > 0) channels.forEach((points, c) => points.push(Math.round(loudest[c]! * 1000) / 1000));
  // Without a duration to plan with, the envelope may come out finer than asked: merge points.
  const merge = Math.ceil((channels[0]?.length ?? 0) / maxPoints);
  if (merge > 1)
    channels = channels.map((points) =>
      Array.from({ length: Math.ceil(points.length / merge) }, (_, i) => Math.max(...points.slice(i * merge, (i + 1) * merge))),
    );
  return { points_per_second: sampleRate / bucket / Math.max(1, merge), duration: samples / sampleRate, channels };
}
