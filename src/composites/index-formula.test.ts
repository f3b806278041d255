import { describe, expect, it } from 'vitest';
import { compositeIndex, measureComponent } from './index-formula';

describe('the composite index', () => {
  it('maps a measure linearly from worst (0) to target (100), either direction, clamped', () => {
    expect(measureComponent(90, { worst: 80, target: 100 })).toBe(50);
    expect(measureComponent(12, { worst: 48, target: 4 })).toBeCloseTo((100 * 36) / 44, 12);
    expect(measureComponent(70, { worst: 80, target: 100 })).toBe(0);
    expect(measureComponent(2, { worst: 48, target: 4 })).toBe(100);
  });

  it('Σ wᵢ·cᵢ / Σ wᵢ over the available components; a suppressed NPS leaves none', () => {
    // NPS 20 → 60; SLA 90 on 80..100 → 50; hours missing: dropped with its weight. (2·60 + 1·50) / 3.
    const w = {
      nps: 2,
      measures: [
        { key: 'sla', weight: 1, worst: 80, target: 100 },
        { key: 'hours', weight: 3, worst: 48, target: 4 },
      ],
    };
    expect(compositeIndex({ nps: 20, measures: { sla: 90, hours: null } }, w).value).toBeCloseTo(170 / 3, 12);
    expect(compositeIndex({ nps: null, measures: { sla: 90, hours: 4 } }, w)).toMatchObject({ value: null, reason: 'nps_suppressed' });
    expect(compositeIndex({ nps: 20, measures: {} }, { nps: 0, measures: [] })).toMatchObject({ value: null, reason: 'no_weighted_components' });
  });
});
