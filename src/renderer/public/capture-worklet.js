// Runs on the audio thread. Interleaves the microphone's channels into blocks of float PCM at
// the device's own rate and hands them to the page, with each block's peak level for the meter.
// The page decides whether a block is sent (while recording) or only metered.
const BLOCK_FRAMES = 2048;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.channels = 0;
    this.block = null;
    this.filled = 0;
    this.peaks = [];
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    if (input.length !== this.channels) {
      this.channels = input.length;
      this.block = new Float32Array(BLOCK_FRAMES * this.channels);
      this.filled = 0;
      this.peaks = new Array(this.channels).fill(0);
    }
    const frames = input[0].length;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < this.channels; c++) {
        const x = input[c][i];
        this.block[(this.filled + i) * this.channels + c] = x;
        const magnitude = x < 0 ? -x : x;
        if (magnitude > this.peaks[c]) this.peaks[c] = magnitude;
      }
    }
    this.filled += frames;
    if (this.filled >= BLOCK_FRAMES) {
      const block = this.block;
      this.port.postMessage({ pcm: block.buffer, frames: this.filled, peaks: this.peaks }, [block.buffer]);
      this.block = new Float32Array(BLOCK_FRAMES * this.channels);
      this.filled = 0;
      this.peaks = new Array(this.channels).fill(0);
    }
    return true;
  }
}

registerProcessor('utterly-capture', CaptureProcessor);
