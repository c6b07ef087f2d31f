/** Rolling-element bearing kinematics: defect frequencies from geometry, and the load zone. */

export interface BearingGeometry {
  /** Pitch diameter D: the circle through the ball centres, mm. */
  pitchDiameterMm: number;
  /** Ball diameter d, mm. */
  ballDiameterMm: number;
  /** Number of rolling elements n. */
  balls: number;
  /** Contact angle φ, degrees (0 for a deep-groove ball bearing under radial load). */
  contactAngleDeg: number;
}

/** Characteristic defect frequencies, Hz (or orders of shaft speed when computed for 1 Hz). */
export interface BearingFrequencies {
  /** Fundamental train (cage) frequency. */
  ftf: number;
  /** Ball pass frequency, outer race: balls rolling over a fixed outer-race defect. */
  bpfo: number;
  /** Ball pass frequency, inner race: balls rolling over a defect turning with the shaft. */
  bpfi: number;
  /** Ball spin frequency: one spin of a ball about its own axis (a ball defect strikes twice per spin). */
  bsf: number;
}

/**
 * Textbook kinematics (outer race fixed, inner race turning at the shaft frequency fr, no slip),
 * with c = (d / D) cos φ:
 *   FTF  = fr / 2 · (1 − c)
 *   BPFO = n fr / 2 · (1 − c)
 *   BPFI = n fr / 2 · (1 + c)
 *   BSF  = D fr / (2 d) · (1 − c²)
 */
export function bearingFrequencies(g: BearingGeometry, shaftHz: number): BearingFrequencies {
  const c = (g.ballDiameterMm / g.pitchDiameterMm) * Math.cos((g.contactAngleDeg * Math.PI) / 180);
  return {
    ftf: (shaftHz / 2) * (1 - c),
    bpfo: ((g.balls * shaftHz) / 2) * (1 - c),
    bpfi: ((g.balls * shaftHz) / 2) * (1 + c),
    bsf: ((g.pitchDiameterMm * shaftHz) / (2 * g.ballDiameterMm)) * (1 - c * c),
  };
}

/**
 * Share of the peak rolling-element load at angle ψ (radians) from the load direction: Stribeck's
 * distribution q(ψ) = (1 − (1 − cos ψ) / (2ε))^1.5 for a ball bearing, with ε = 0.5 (half the
 * bearing loaded, zero clearance), which is cos(ψ)^1.5 inside ±90° and 0 outside. A small preload
 * floor keeps impacts outside the zone faintly visible, as they are on real machines.
 */
export function loadZone(psi: number): number {
  const PRELOAD = 0.08;
  const c = Math.cos(psi);
  return PRELOAD + (1 - PRELOAD) * (c > 0 ? c * Math.sqrt(c) : 0);
}
