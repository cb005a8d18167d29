// Runs on the audio thread. Turns the microphone's channels into the channels chosen for the
// session (a mono mix, one chosen channel, or each channel as it is), interleaves them into blocks
// of float PCM at the device's own rate and hands them to the page, with each block's peak level
// per channel for the meter. The page decides whether a block is sent (while recording) or only
// metered. The choice comes as a message: { choice: 'mix' | 'each' | <channel index> }.
const BLOCK_FRAMES = 2048;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.choice = options?.processorOptions?.choice ?? 'mix';
    this.channels = 0;
    this.block = null;
    this.filled = 0;
    this.peaks = [];
    this.port.onmessage = (event) => {
      if (event.data && 'choice' in event.data) {
        this.choice = event.data.choice;
        this.channels = 0; // a new block shape on the next call
      }
    };
  }

  /** How many channels come out of `inputChannels` under the current choice. */
  outputChannels(inputChannels) {
    return this.choice === 'each' ? inputChannels : 1;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channels = this.outputChannels(input.length);
    if (channels !== this.channels) {
      this.channels = channels;
      this.block = new Float32Array(BLOCK_FRAMES * channels);
      this.filled = 0;
      this.peaks = new Array(channels).fill(0);
    }
    const frames = input[0].length;
    const choice = this.choice;
    const picked = typeof choice === 'number' ? input[Math.min(Math.max(0, choice), input.length - 1)] : null;
    const scale = 1 / input.length;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < channels; c++) {
        let x;
        if (choice === 'each') x = input[c][i];
        else if (picked) x = picked[i];
        else {
          x = 0;
          for (let k = 0; k < input.length; k++) x += input[k][i];
          x *= scale;
        }
        this.block[(this.filled + i) * channels + c] = x;
        const magnitude = x < 0 ? -x : x;
        if (magnitude > this.peaks[c]) this.peaks[c] = magnitude;
      }
    }
    this.filled += frames;
    if (this.filled >= BLOCK_FRAMES) {
      const block = this.block;
      this.port.postMessage({ pcm: block.buffer, frames: this.filled, peaks: this.peaks, inputChannels: input.length }, [block.buffer]);
      this.block = new Float32Array(BLOCK_FRAMES * channels);
      this.filled = 0;
      this.peaks = new Array(channels).fill(0);
    }
    return true;
  }
}

registerProcessor('utterly-capture', CaptureProcessor);
