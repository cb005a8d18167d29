// The microphone: the devices to choose from (kept up to date as they come and go), the input
// level, and recording. The microphone is opened only for a recording or the level check, and
// closed after. Audio is captured by an AudioWorklet at the device's own rate, as the channels
// chosen (a mono mix by default, one chosen channel, or each channel), and sent as float PCM;
// resampling and everything else happens in the back end.
import type { AudioFormat } from '../../../../shared/api';
import type { Push } from '../../../../shared/contract';
import type { Session, SessionSettings } from '../../../../shared/sessions';
import { api } from '../api';
import { errorMessage } from '../../../../shared/errors';

interface CaptureBlock {
  pcm: ArrayBuffer;
  frames: number;
  /** Per channel sent (after the channel choice). */
  peaks: number[];
  /** How many channels the device gives. */
  inputChannels: number;
}

/** Which channels a recording keeps: a mono mix, each channel, or one channel (0-based). */
export type ChannelChoice = 'mix' | 'each' | number;

/** Why the microphone could not be opened, in words a person can act on. */
function describeOpenError(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Utterly may not use the microphone: allow it in the browser’s site settings (or the system’s privacy settings), then press Record again. Importing files works without it.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone was found: plug one in or choose another, then press Record again.';
  if (name === 'NotReadableError') return 'The microphone is in use by another program or could not be read: close that program, then press Record again.';
  return `The microphone could not be opened: ${errorMessage(error)}`;
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
  /** The channels a recording keeps; fixed while recording. */
  channelChoice = $state<ChannelChoice>('mix');
  /** How many channels the device gave when it was last opened (2 until it has been). */
  deviceChannels = $state(2);
  /** The level check is on: the microphone stays open, metered, between recordings. */
  checking = $state(false);
  /** The recording the lost connection ended, if any: its id and how long it had run. */
  lost = $state.raw<{ sessionId: string; elapsed: number } | null>(null);
  session = $state.raw<Session | null>(null);
  /** After Stop: the results the engine still has to give, as the back end last reported (null until it has). */
  resultsToCome = $state<number | null>(null);
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

  /** The number of channels a recording with the current choice sends. */
  get outputChannels(): number {
    return this.channelChoice === 'each' ? this.deviceChannels : 1;
  }

  /** A recording is starting, under way or stopping: the microphone belongs to it. */
  get isRecording(): boolean {
    return this.status === 'recording' || this.status === 'starting' || this.status === 'stopping';
  }

  /** Changes the channels kept (not while recording); the open worklet follows at once. */
  setChannelChoice(choice: ChannelChoice): void {
    if (this.isRecording) return;
    this.channelChoice = choice;
    this.node?.port.postMessage({ choice });
    this.levels = [];
  }

  /** Turns the level check on (opens the microphone) or off (closes it). */
  async setChecking(on: boolean): Promise<void> {
    this.checking = on;
    if (this.isRecording) return;
    if (on) await this.listen();
    else await this.close();
  }

  /** Another microphone was chosen: reopened if it is open (level check), else nothing opens. */
  async changeDevice(): Promise<void> {
    if (this.status === 'listening') await this.listen();
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
    if (this.isRecording) return;
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
      this.deviceChannels = channels;
      // A chosen channel the device does not have: its last one.
      if (typeof this.channelChoice === 'number' && this.channelChoice >= channels) this.channelChoice = channels - 1;
      this.node = new AudioWorkletNode(this.context, 'utterly-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: channels,
        channelCountMode: 'explicit',
        processorOptions: { choice: this.channelChoice },
      });
      this.node.port.onmessage = (event: MessageEvent<CaptureBlock>) => this.onBlock(event.data);
      source.connect(this.node);
      this.format = { channels, sample_rate: this.context.sampleRate, bit_depth: 32, is_float: true };
      this.status = 'listening';
      await this.refreshDevices();
    } catch (error) {
      this.error = describeOpenError(error);
      await this.close();
    }
  }

  async start(settings: SessionSettings): Promise<void> {
    if (this.opening) await this.opening;
    if (this.status !== 'listening') await this.listen();
    if (this.status !== 'listening' || !this.format) return;
    this.status = 'starting';
    this.lost = null;
    // The session's format is what is sent: the channels chosen, not the device's.
    this.format = { ...this.format, channels: this.outputChannels };
    const result = await api.startRecording({ format: this.format, settings });
    if (!result.ok) {
      this.error = result.error.message;
      this.status = 'listening';
      if (!this.checking) await this.close();
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
    this.resultsToCome = null;
    const result = await api.stopRecording({ id: this.session.id });
    this.status = 'listening';
    this.resultsToCome = null;
    // The microphone closes with the recording, unless the level check keeps it open.
    if (!this.checking) await this.close();
    if (!result.ok) {
      this.error = result.error.message;
      return undefined;
    }
    this.session = null;
    return result.value;
  }

  /** The back end's report of what a stopped recording still waits for. */
  apply(push: Push): void {
    if (push.kind === 'finishing' && this.status === 'stopping' && push.finishing.session_id === this.session?.id) {
      this.resultsToCome = push.finishing.results_to_come;
    }
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

  /**
   * The connection to the back end was lost: a recording ends at once (the timer stops, the
   * microphone closes) and is remembered as lost; the back end keeps it as interrupted.
   */
  async connectionLost(): Promise<void> {
    if (!this.isRecording) return;
    if (this.session) this.lost = { sessionId: this.session.id, elapsed: this.elapsed };
    this.session = null;
    this.checking = false;
    this.status = 'listening';
    await this.close();
  }

  private onBlock(block: CaptureBlock): void {
    this.levels = block.peaks;
    this.deviceChannels = block.inputChannels;
    if (this.status !== 'recording' || !this.session || !this.format) return;
    // A block cut before the choice changed (between a level check and Record) is not sent.
    if (block.peaks.length !== this.format.channels) return;
    api.sendAudio(this.session.id, block.pcm);
    this.framesSent += block.frames;
    this.elapsed = this.framesSent / this.format.sample_rate;
    block.peaks.forEach((peak, c) => this.peaks[c]?.push(peak));
    this.envelope = { peaks: this.peaks.map((series) => series.values()), peaksPerSecond: this.format.sample_rate / block.frames };
  }
}

export const recorder = new Recorder();
