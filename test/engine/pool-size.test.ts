import { describe, expect, it } from 'vitest';
import { defaultPoolSize } from '../../src/main/engine/pool-size';

describe('defaultPoolSize', () => {
  it('leaves a core free, runs at most four and at least one model process', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => defaultPoolSize(cores))).toEqual([1, 1, 2, 3, 4, 4, 4]);
    expect(defaultPoolSize()).toBeGreaterThanOrEqual(1);
    expect(defaultPoolSize()).toBeLessThanOrEqual(4);
  });
});
