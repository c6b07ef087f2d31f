/** A structural resonance of the machine as a digital filter: what bearing impacts and broadband forces ring. */

const TWO_PI = 2 * Math.PI;

/** Two-pole resonator y[n] = a1 y[n−1] + a2 y[n−2] + b x[n]: one damped mode at `hz` with damping ratio ζ. */
export class Resonator {
  private readonly a1: number;
  private readonly a2: number;
  private readonly b: number;
  /** Input standard deviation that gives a unit-RMS output. */
  readonly unitNoise: number;
  private y1 = 0;
  private y2 = 0;

  constructor(hz: number, zeta: number, rate: number) {
    // Impulse invariance: poles at r e^{±jωd T}, r = e^{−ζ ωn T}, ωd = ωn √(1 − ζ²).
    const w = (TWO_PI * hz) / rate;
    const r = Math.exp(-zeta * w);
    const wd = w * Math.sqrt(1 - zeta * zeta);
    this.a1 = 2 * r * Math.cos(wd);
    this.a2 = -r * r;
    // h[n] = b r^n sin((n + 1) ωd) / sin(ωd): with b = sin(ωd) a unit impulse rings with a peak near 1.
    this.b = Math.sin(wd);
    // AR(2) output variance per unit input variance: (1 − a2) / ((1 + a2)((1 − a2)² − a1²)), times b².
    const gain = (1 - this.a2) / ((1 + this.a2) * ((1 - this.a2) ** 2 - this.a1 ** 2));
    this.unitNoise = 1 / (this.b * Math.sqrt(gain));
  }

  step(x: number): number {
    const y = this.a1 * this.y1 + this.a2 * this.y2 + this.b * x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}
