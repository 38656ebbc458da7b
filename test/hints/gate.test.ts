/** The hint gate and the lookup memory on a clock of their own: the bucket's burst and refill, duplicates within the window, and a bounded memory. */
import { describe, expect, it } from 'vitest';
import { createHintGate, createKeyMemory } from '../../src/hints/gate.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');

describe('createHintGate', () => {
  it('admits a burst, then refuses for the rate until the bucket refills at its rate', () => {
    const gate = createHintGate({ ratePerSecond: 5, burst: 10, dedupeMs: 5_000 });
    const verdicts = Array.from({ length: 12 }, (_, i) => gate.admit(`cn-hangzhou/t-${i}`, T0));
    expect(verdicts.filter((v) => v === 'admitted')).toHaveLength(10);
    expect(verdicts.slice(10)).toEqual(['rate', 'rate']);
    // 200 ms later one token is back (5 a second), and only one.
    expect(gate.admit('cn-hangzhou/t-a', T0 + 200)).toBe('admitted');
    expect(gate.admit('cn-hangzhou/t-b', T0 + 200)).toBe('rate');
    // A long quiet spell refills to the burst, not beyond it.
    const later = Array.from({ length: 12 }, (_, i) => gate.admit(`cn-beijing/t-${i}`, T0 + 3_600_000));
    expect(later.filter((v) => v === 'admitted')).toHaveLength(10);
  });

  it('calls the same key a duplicate within the window, without taking a token, and admits it again after', () => {
    const gate = createHintGate({ ratePerSecond: 1, burst: 2, dedupeMs: 5_000 });
    expect(gate.admit('k', T0)).toBe('admitted');
    expect(gate.admit('k', T0 + 4_999)).toBe('duplicate');
    expect(gate.admit('k', T0 + 1)).toBe('duplicate');
    expect(gate.admit('other', T0 + 2)).toBe('admitted');
    expect(gate.admit('k', T0 + 5_000)).toBe('admitted');
  });

  it('does not count a hint refused for the rate as seen', () => {
    const gate = createHintGate({ ratePerSecond: 1, burst: 1, dedupeMs: 5_000 });
    expect(gate.admit('a', T0)).toBe('admitted');
    expect(gate.admit('b', T0)).toBe('rate');
    expect(gate.admit('b', T0 + 1_000)).toBe('admitted');
  });

  it('forgets the oldest keys past its limit, so a flood of distinct keys cannot grow it without end', () => {
    const gate = createHintGate({ ratePerSecond: 1_000_000, burst: 1_000_000, dedupeMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) expect(gate.admit(`k${i}`, T0)).toBe('admitted');
    // k0 was forgotten (a duplicate no more); the newest are still remembered.
    expect(gate.admit('k0', T0)).toBe('admitted');
    expect(gate.admit('k999', T0)).toBe('duplicate');
  });

  it('takes a clock that steps back without handing out tokens', () => {
    const gate = createHintGate({ ratePerSecond: 1, burst: 1, dedupeMs: 5_000 });
    expect(gate.admit('a', T0)).toBe('admitted');
    expect(gate.admit('b', T0 - 60_000)).toBe('rate');
    expect(gate.admit('c', T0 + 1_000)).toBe('admitted');
  });
});

describe('createKeyMemory', () => {
  it('has seen a key only once it is claimed, and for the window after', () => {
    const memory = createKeyMemory({ windowMs: 60_000 });
    expect(memory.seen('cn-hangzhou/lookup/ExportImage/2026-11-27T10:00:00Z', T0)).toBe(false);
    // Seeing is not claiming: a hint refused for the rate in between leaves the key free.
    expect(memory.seen('cn-hangzhou/lookup/ExportImage/2026-11-27T10:00:00Z', T0)).toBe(false);
    memory.claim('cn-hangzhou/lookup/ExportImage/2026-11-27T10:00:00Z', T0);
    expect(memory.seen('cn-hangzhou/lookup/ExportImage/2026-11-27T10:00:00Z', T0 + 59_999)).toBe(true);
    expect(memory.seen('cn-beijing/lookup/ExportImage/2026-11-27T10:00:00Z', T0 + 1)).toBe(false);
    expect(memory.seen('cn-hangzhou/lookup/ExportImage/2026-11-27T10:00:00Z', T0 + 60_000)).toBe(false);
  });

  it('forgets the oldest keys past its limit', () => {
    const memory = createKeyMemory({ windowMs: 3_600_000, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) memory.claim(`k${i}`, T0 + i);
    expect(memory.seen('k0', T0 + 1_000)).toBe(false);
    expect(memory.seen('k999', T0 + 1_000)).toBe(true);
    expect(memory.seen('k900', T0 + 1_000)).toBe(true);
    expect(memory.seen('k899', T0 + 1_000)).toBe(false);
  });
});
