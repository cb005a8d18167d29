// The microphone: the devices to choose from (kept up to date as they come and go), the input
// level, and recording. Audio is captured by an AudioWorklet at the device's own rate and
// channel count and sent as float PCM; resampling and everything else happens in the back end.
import type { AudioFormat } from '../../../../shared/api';
import type { Session, SessionSettings } from '../../../../shared/sessions';
import { api } from '../api';

interface CaptureBlock {
  pcm: ArrayBuffer;
  frames: number;
  peaks: number[];
}

/** Numbers appended one by one, kept in one typed array that doubles when full. */
class GrowingSeries {
  private data = new Float32Array(1024);
  private length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  /** The values so far, without copying them. */
  values(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}

export class Recorder {
  devices = $state.raw<MediaDeviceInfo[]>([]);
  deviceId = $state('');
  /** Peak level of the latest block, per channel, 0..1. */
  levels = $state.raw<number[]>([]);
  status = $state<'off' | 'listening' | 'starting' | 'recording' | 'stopping'>('off');
  session = $state.raw<Session | null>(null);
  /** Seconds recorded so far. */
  elapsed = $state(0);
  error = $state<string | null>(null);
  /** The recording's level envelope, per channel, for the timeline while it grows. */
  envelope = $state.raw<{ peaks: Float32Array[]; peaksPerSecond: number } | undefined>(undefined);

  private context: AudioContext | undefined;
  private stream: MediaStream | undefined;
  private node: AudioWorkletNode | undefined;
  private format: AudioFormat | undefined;
  private framesSent = 0;
  private opening: Promise<void> | undefined;
  private peaks: GrowingSeries[] = [];

  constructor() {
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.refreshDevices());
  }

  async refreshDevices(): Promise<void> {
    const all = await navigator.mediaDevices.enumerateDevices();
    this.devices = all.filter((device) => device.kind === 'audioinput');
    // A device that was unplugged: fall back to the default one.
    if (this.deviceId && !this.devices.some((device) => device.deviceId === this.deviceId)) {
      this.deviceId = '';
      if (this.status === 'listening' && !this.opening) void this.listen();
    }
  }

  /** Opens the chosen microphone and meters it, without recording. */
  listen(): Promise<void> {
    // One opening at a time: a second call (a click on Record while the page is still opening
    // the microphone) waits for the first rather than tearing it down.
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<void> {
    if (this.status === 'recording' || this.status === 'starting' || this.status === 'stopping') return;
    await this.close();
    this.error = null;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          deviceId: this.deviceId ? { exact: this.deviceId } : undefined,
          // The model wants the voice as it was: no processing on the way.
          echoCancellation: false,
          noiseSuppression: false,
          autoGainControl: false,
          channelCount: { ideal: 2 },
        },
      });
      const track = this.stream.getAudioTracks()[0]!;
      const trackSettings = track.getSettings();
      this.context = new AudioContext(trackSettings.sampleRate ? { sampleRate: trackSettings.sampleRate } : {});
      await this.context.audioWorklet.addModule(new URL('capture-worklet.js', document.baseURI).href);
      const source = this.context.createMediaStreamSource(this.stream);
      const channels = Math.max(1, Math.min(32, trackSettings.channelCount ?? source.channelCount));
      this.node = new AudioWorkletNode(this.context, 'utterly-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: channels, channelCountMode: 'explicit' });
      this.node.port.onmessage = (event: MessageEvent<CaptureBlock>) => this.onBlock(event.data);
      source.connect(this.node);
      this.format = { channels, sample_rate: this.context.sampleRate, bit_depth: 32, is_float: true };
      this.status = 'listening';
      await this.refreshDevices();
    } catch (error) {
      this.error = `The microphone could not be opened: ${(error as Error).message}`;
      await this.close();
    }
  }

  async start(settings: SessionSettings): Promise<void> {
    if (this.opening) await this.opening;
    if (this.status !== 'listening') await this.listen();
    if (this.status !== 'listening' || !this.format) return;
    this.status = 'starting';
    const result = await api.startRecording({ format: this.format, settings });
    if (!result.ok) {
      this.error = result.error.message;
      this.status = 'listening';
      return;
    }
    this.session = result.value;
    this.framesSent = 0;
    this.elapsed = 0;
    this.peaks = Array.from({ length: this.format.channels }, () => new GrowingSeries());
    this.envelope = undefined;
    this.status = 'recording';
  }

  async stop(): Promise<Session | undefined> {
    if (this.status !== 'recording' || !this.session) return undefined;
    this.status = 'stopping';
    const result = await api.stopRecording({ id: this.session.id });
    this.status = 'listening';
    if (!result.ok) {
      this.error = result.error.message;
      return undefined;
    }
    this.session = null;
    return result.value;
  }

  async close(): Promise<void> {
    this.node?.port.close();
    this.node?.disconnect();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    await this.context?.close().catch(() => undefined);
    this.node = undefined;
    this.stream = undefined;
    this.context = undefined;
    if (this.status === 'listening') this.status = 'off';
    this.levels = [];
  }

  private onBlock(block: CaptureBlock): void {
    this.levels = block.peaks;
    if (this.status !== 'recording' || !this.session || !this.format) return;
    api.sendAudio(this.session.id, block.pcm);
    this.framesSent += block.frames;
    this.elapsed = this.framesSent / this.format.sample_rate;
    block.peaks.forEach((peak, c) => this.peaks[c]?.push(peak));
    this.envelope = { peaks: this.peaks.map((series) => series.values()), peaksPerSecond: this.format.sample_rate / block.frames };
  }
}

export const recorder = new Recorder();
