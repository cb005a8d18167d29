// PCM bytes -> channels, for every encoding, with chunks cut anywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_ENCODINGS, type AudioFormat } from '../../src/shared/api';
import { PcmDecoder } from '../../src/main/engine/pcm';
import { encodePcm } from '../support/helpers';

const resolution: Record<string, number> = { '8': 1 / 128, '16': 1 / 32768, '24': 1 / 8388608, '32': 1 / 2147483648 };

describe('PcmDecoder', () => {
  for (const { bit_depth, is_float } of SUPPORTED_ENCODINGS) {
    it(`decodes ${is_float ? 'float' : 'integer'} ${bit_depth}-bit audio cut at random places, losing nothing`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0, max: 300 }),
          fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
          (channels, frames, cuts) => {
            const format: AudioFormat = { channels, sample_rate: 16000, bit_depth, is_float };
            const audio = Array.from({ length: channels }, (_, c) => Float32Array.from({ length: frames }, (_, i) => Math.sin(i * 0.37 + c) * 0.9));
            const bytes = encodePcm(audio, format);
            const decoder = new PcmDecoder(format);
            const decoded: Float32Array[][] = [];
            for (let offset = 0, i = 0; offset < bytes.length; i++) {
              const n = cuts[i % cuts.length]!;
              decoded.push(decoder.decode(bytes.subarray(offset, offset + n)));
              offset += n;
            }
            expect(decoder.pendingBytes).toBe(0);
            for (let c = 0; c < channels; c++) {
              const joined = decoded.flatMap((d) => Array.from(d[c]!));
              expect(joined).toHaveLength(frames);
              const tolerance = is_float ? 1e-7 : resolution[String(bit_depth)]!;
              joined.forEach((x, i) => expect(Math.abs(x - audio[c]![i]!)).toBeLessThanOrEqual(tolerance));
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  }

  it('reads the extremes of each integer encoding', () => {
    const cases: Array<[number, number[], number[]]> = [
      [8, [0, 128, 255], [-1, 0, 127 / 128]],
      [16, [0x00, 0x80, 0xff, 0x7f], [-1, 32767 / 32768]],
      [24, [0x00, 0x00, 0x80, 0xff, 0xff, 0x7f], [-1, 8388607 / 8388608]],
      [32, [0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0x7f], [-1, 2147483647 / 2147483648]],
    ];
    for (const [bit_depth, bytes, expected] of cases) {
      const [channel] = new PcmDecoder({ channels: 1, sample_rate: 16000, bit_depth, is_float: false }).decode(Uint8Array.from(bytes));
      expect(Array.from(channel!)).toEqual(expected.map((x) => Math.fround(x)));
    }
  });

  it('holds back an incomplete frame until the rest of it arrives', () => {
    const decoder = new PcmDecoder({ channels: 2, sample_rate: 16000, bit_depth: 16, is_float: false });
    expect(decoder.decode(Uint8Array.from([0x00, 0x40, 0x00])).map((c) => c.length)).toEqual([0, 0]);
    expect(decoder.pendingBytes).toBe(3);
    const [left, right] = decoder.decode(Uint8Array.from([0xc0]));
    expect([left![0], right![0]]).toEqual([0.5, -0.5]);
  });
});
