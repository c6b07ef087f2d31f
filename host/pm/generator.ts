/**
 * The signal model, sample by sample: an induction motor's shaft (speed = synchronous speed less
 * load-dependent slip, drifting with the load), rotating-force components (1x imbalance, 2x
 * misalignment, looseness rattle), bearing-defect impact trains ringing a damped structural
 * resonance per axis, accelerometer noise, motor current and housing temperature.
 *
 * Slow quantities (load, speed, severity, amplitudes, temperature) update on a 100 Hz tick; the
 * state carries across calls to fill(), so the output never depends on how a run is cut in blocks.
 */
import { bearingFrequencies, loadZone } from './bearing.js';
import type { Machine } from './machine.js';
import { Resonator } from './resonator.js';
import { Rng } from './random.js';

export const FAULTS = ['healthy', 'inner', 'outer', 'ball', 'imbalance', 'misalignment', 'looseness'] as const;
export type Fault = (typeof FAULTS)[number];

/** Output channels: acceleration x (horizontal), y (vertical), z (axial) in g, current in A, temperature in °C. */
export interface Channels {
  ax: Float32Array;
  ay: Float32Array;
  az: Float32Array;
  current: Float32Array;
  temperature: Float32Array;
}

/** A resolved, validated run (see synth.ts). */
export interface RunSpec {
  seed: number;
  machine: Machine;
  run: number;
  fault: Fault;
  /** Severity at t = 0: 0 healthy, 1 the failure threshold. */
  severity: number;
  /** Degradation run: severity grows exponentially to 1 at lifeS seconds; null for a steady run. */
  lifeS: number | null;
  rate: number;
  samples: number;
  windowSamples: number;
}

/** Labels of one window of samples [start, start + samples), taken at its last sample. */
export interface WindowLabel {
  start: number;
  samples: number;
  fault: Fault;
  severity: number;
  /** Remaining useful life: seconds from the window's last sample until severity reaches 1; null outside degradation runs. */
  rulS: number | null;
  /** Mean shaft speed over the window, Hz. */
  shaftHz: number;
}

/** Per fault at severity 1: bearing-impact transmission to the housing, friction heat (°C), current modulation index at fline ± fr. */
const PHYSICS: Record<Fault, { transmission: number; heatC: number; currentMod: number }> = {
  healthy: { transmission: 0, heatC: 0, currentMod: 0 },
  outer: { transmission: 1, heatC: 15, currentMod: 0 },
  inner: { transmission: 0.6, heatC: 15, currentMod: 0 },
  ball: { transmission: 0.5, heatC: 15, currentMod: 0 },
  imbalance: { transmission: 0, heatC: 4, currentMod: 0.02 },
  misalignment: { transmission: 0, heatC: 8, currentMod: 0.015 },
  looseness: { transmission: 0, heatC: 3, currentMod: 0.01 },
};

const TWO_PI = 2 * Math.PI;
const TICK_HZ = 100;
/** Load: Ornstein-Uhlenbeck process, time constant (s) and stationary standard deviation (fraction of rated). */
const LOAD_TAU_S = 20;
const LOAD_SIGMA = 0.08;
/** Decay of the rotor shock that couples bearing impacts into the current, s. */
const SHOCK_TAU_S = 0.002;
/** Current signature of bearing impacts (modulation index per unit shock at severity 1), current and temperature sensor noise. */
const BEARING_CURRENT_MOD = 0.01;
const CURRENT_NOISE = 0.004;
const TEMPERATURE_NOISE_C = 0.05;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Severity at time t (s): constant, or s0·exp(t/τ) with τ = life / ln(1/s0), reaching 1 at t = life. */
export function severityAt(spec: Pick<RunSpec, 'severity' | 'lifeS'>, t: number): number {
  if (spec.lifeS === null) return spec.severity;
  return spec.severity * Math.exp((t / spec.lifeS) * Math.log(1 / spec.severity));
}

/** Shaft speed, Hz: synchronous speed lineHz / p less the slip, which grows linearly with load. */
export function shaftHzAt(m: Machine, load: number): number {
  return (m.lineHz * (1 - m.ratedSlip * load)) / m.polePairs;
}

export class SignalGenerator {
  /** Index of the next sample. */
  position = 0;
  readonly windows: WindowLabel[] = [];
  /** The run's mean load, fraction of rated. */
  readonly loadMean: number;

  private readonly spec: RunSpec;
  private readonly m: Machine;
  /** The operating point (load path, shaft and supply phases): shared by every fault of the same machine and run. */
  private readonly operating: Rng;
  /** Sensor noise, structural excitation and bearing impacts: specific to the fault and severity too. */
  private readonly rng: Rng;
  private readonly physics: (typeof PHYSICS)[Fault];
  private readonly tickSamples: number;
  private readonly nominalShaftHz: number;
  private readonly resonators: Resonator[];
  /** Impacts per shaft revolution (0 without a bearing fault) and cage revolutions per shaft revolution. */
  private readonly impactOrder: number;
  private readonly cageOrder: number;
  /** Angles (rad) from the load direction: the outer-race defect; the inner-race defect and a ball's defect at t = 0. */
  private readonly outerDefect: number;
  private readonly innerDefect: number;
  private readonly ballDefect: number;
  private readonly loosenessPhase: number;
  private readonly shockDecay: number;

  // Slow state, updated per tick.
  private load: number;
  private severity = 0;
  private shaftHz = 0;
  private imbalance = 0;
  private misalignment = 0;
  private looseness = 0;
  private impact = 0;
  private currentPeak = 0;
  private currentMod = 0;
  private slipStep = 0;
  private temperature = NaN;

  // Fast state, per sample.
  /** Shaft angle in revolutions, modulo 2 (looseness repeats every two revolutions). */
  private rev: number;
  private cage: number;
  private line: number;
  private slipPhase: number;
  /** Progress towards the next bearing impact, in nominal impact spacings; the next spacing (1 ± jitter). */
  private impactPhase: number;
  private nextImpact: number;
  /** Which race a ball defect strikes next (it strikes both, alternately). */
  private ballOnOuter = true;
  private shock = 0;
  private windowStart = 0;
  private windowSpeedSum = 0;
  private readonly vibration = new Float64Array(3);

  constructor(spec: RunSpec) {
    this.spec = spec;
    const m = (this.m = spec.machine);
    this.physics = PHYSICS[spec.fault];
    const operating = (this.operating = new Rng(spec.seed, 'operating', m.id, spec.run));
    const rng = (this.rng = new Rng(spec.seed, 'run', m.id, spec.run, spec.fault, spec.severity, spec.lifeS ?? 0));
    this.tickSamples = Math.max(1, Math.round(spec.rate / TICK_HZ));
    this.nominalShaftHz = shaftHzAt(m, m.loadMean);
    this.loadMean = Number(clamp(m.loadMean + operating.uniform(-0.15, 0.15), 0.2, 1).toPrecision(4));
    this.load = clamp(this.loadMean + LOAD_SIGMA * operating.normal(), 0.05, 1.2);
    this.rev = operating.uniform(0, 2);
    this.line = operating.next();
    this.slipPhase = operating.next();
    // A resonance above 0.4 × rate would alias: it is placed at 0.4 × rate instead.
    this.resonators = m.resonanceHz.map((hz) => new Resonator(Math.min(hz, 0.4 * spec.rate), m.damping, spec.rate));
    const orders = bearingFrequencies(m.bearing, 1);
    const impactOrders: Partial<Record<Fault, number>> = { outer: orders.bpfo, inner: orders.bpfi, ball: 2 * orders.bsf };
    this.impactOrder = impactOrders[spec.fault] ?? 0;
    this.cageOrder = orders.ftf;
    this.outerDefect = rng.uniform(-0.6, 0.6); // spalls start where the load is: inside the load zone
    this.innerDefect = rng.uniform(0, TWO_PI);
    this.ballDefect = rng.uniform(0, TWO_PI);
    this.loosenessPhase = rng.uniform(-Math.PI / 3, Math.PI / 3); // the knock comes near the same point of the revolution
    this.shockDecay = Math.exp(-1 / (SHOCK_TAU_S * spec.rate));
    this.cage = rng.next();
    this.impactPhase = rng.next();
    this.nextImpact = this.impactSpacing();
  }

  /** Fills out[*][offset .. offset + n) with the next n samples. */
  fill(out: Channels, offset: number, n: number): void {
    const { ax, ay, az, current, temperature } = out;
    const [rx, ry, rz] = this.resonators;
    const m = this.m;
    const rng = this.rng;
    const structure = m.structureG;
    for (let k = 0; k < n; k++) {
      const i = this.position + k;
      if (i % this.tickSamples === 0) this.tick(i);
      this.rev += this.shaftHz / this.spec.rate;
      if (this.rev >= 2) this.rev -= 2;
      const th = TWO_PI * this.rev;
      const c1 = Math.cos(th);
      const v = this.rotating(c1, Math.sin(th));
      let ex = structure * rx.unitNoise * rng.normal();
      let ey = structure * ry.unitNoise * rng.normal();
      let ez = structure * rz.unitNoise * rng.normal();
      this.shock *= this.shockDecay;
      if (this.impactOrder > 0) {
        const a = this.bearingImpact(th);
        ex += a * m.bearingAxisGain[0];
        ey += a * m.bearingAxisGain[1];
        ez += a * m.bearingAxisGain[2];
      }
      ax[offset + k] = v[0] + rx.step(ex) + m.noiseG * rng.normal();
      ay[offset + k] = v[1] + ry.step(ey) + m.noiseG * rng.normal();
      az[offset + k] = v[2] + rz.step(ez) + m.noiseG * rng.normal();
      current[offset + k] = this.currentSample(c1) + CURRENT_NOISE * m.ratedCurrentA * rng.normal();
      temperature[offset + k] = this.temperature + TEMPERATURE_NOISE_C * rng.normal();
      this.windowSpeedSum += this.shaftHz;
      if (i + 1 - this.windowStart === this.spec.windowSamples || i + 1 === this.spec.samples) this.closeWindow(i);
    }
    this.position += n;
  }

  /** Vibration of the rotating forces (g) at shaft angle θ, from cos θ and sin θ: [x, y, z] in a reused array. */
  private rotating(c1: number, s1: number): Float64Array {
    const c2 = c1 * c1 - s1 * s1; // cos 2θ
    const s2 = 2 * s1 * c1; // sin 2θ
    const c3 = c1 * c2 - s1 * s2; // cos 3θ
    const imb = this.imbalance;
    const mis = this.misalignment;
    const v = this.vibration;
    // Unbalance: the force m e ω² turns with the shaft, so horizontal and vertical are in quadrature (the
    // vertical scaled by the support's anisotropy), with little axial. Misalignment: 2x dominant
    // radially and axially, with 1x (angular misalignment, strongest axially) and some 3x.
    v[0] = imb * c1 + mis * (c2 + 0.3 * c1 + 0.15 * c3);
    v[1] = this.m.anisotropy * (imb * s1 + mis * (s2 + 0.3 * s1));
    v[2] = 0.1 * imb * c1 + mis * (1.2 * c2 + 0.5 * c1);
    if (this.looseness > 0) {
      // Rattle: the loose part knocks when the 1x motion and its half-order swing together close the
      // gap; the clipped motion repeats every two revolutions: 0.5x, 1x, 1.5x, 2x … harmonics.
      const gap = c1 + 0.5 * Math.cos(Math.PI * this.rev + this.loosenessPhase) - 0.8;
      if (gap > 0) {
        const knock = (this.looseness * gap) / 0.6;
        v[0] += 0.5 * knock;
        v[1] += knock;
        v[2] += 0.2 * knock;
      }
    }
    return v;
  }

  /** Slow quantities at sample i: load drift, speed, severity, amplitudes, current, temperature. */
  private tick(i: number): void {
    const { m, spec, operating } = this;
    const dt = this.tickSamples / spec.rate;
    // Ornstein-Uhlenbeck: dL = (μ − L) dt/τ + σ √(2 dt/τ) dW keeps the load near its mean with stationary σ.
    if (i > 0) {
      const drift = ((this.loadMean - this.load) * dt) / LOAD_TAU_S;
      this.load = clamp(this.load + drift + LOAD_SIGMA * Math.sqrt((2 * dt) / LOAD_TAU_S) * operating.normal(), 0.05, 1.2);
    }
    const s = (this.severity = spec.fault === 'healthy' ? 0 : severityAt(spec, i / spec.rate));
    this.shaftHz = shaftHzAt(m, this.load);
    const speed2 = (this.shaftHz / this.nominalShaftHz) ** 2; // rotating forces grow with ω²
    this.imbalance = (m.residualImbalanceG + (spec.fault === 'imbalance' ? s * m.imbalanceG : 0)) * speed2;
    this.misalignment = (m.residualMisalignmentG + (spec.fault === 'misalignment' ? s * m.misalignmentG : 0)) * speed2;
    this.looseness = spec.fault === 'looseness' ? s * m.loosenessG * speed2 : 0;
    this.impact = s * m.bearingG * this.physics.transmission * (0.5 + 0.5 * this.load); // impact force follows the radial load
    // Magnetizing and torque-producing currents add in quadrature: I = Irated √(m² + (1 − m²) L²).
    const mag = m.magnetizingFraction;
    const currentRms = m.ratedCurrentA * Math.sqrt(mag * mag + (1 - mag * mag) * this.load * this.load);
    this.currentPeak = Math.SQRT2 * currentRms;
    this.currentMod = 0.001 + s * this.physics.currentMod; // air-gap eccentricity: sidebands at fline ± fr
    this.slipStep = (2 * m.ratedSlip * this.load * m.lineHz) / spec.rate; // rotor asymmetry: sidebands at (1 ± 2s) fline
    // Housing temperature: first-order lag towards ambient + copper losses (∝ I²) + fault friction.
    const target = m.ambientC + m.temperatureRiseC * (currentRms / m.ratedCurrentA) ** 2 + this.physics.heatC * s;
    this.temperature = Number.isNaN(this.temperature) ? target : this.temperature + (target - this.temperature) * (1 - Math.exp(-dt / m.thermalTauS));
  }

  /** Impact amplitude (g) entering the resonators at this sample: nonzero when a rolling element strikes the defect. */
  private bearingImpact(th: number): number {
    const step = this.shaftHz / this.spec.rate;
    this.cage += this.cageOrder * step;
    if (this.cage >= 1) this.cage -= 1;
    this.impactPhase += this.impactOrder * step;
    if (this.impactPhase < this.nextImpact) return 0;
    this.impactPhase -= this.nextImpact;
    this.nextImpact = this.impactSpacing();
    // Load-zone modulation: a fixed outer-race defect sees the same load at every pass; an inner-race
    // defect turns with the shaft (modulation at fr); a ball defect goes round with the cage (at FTF).
    let zone: number;
    if (this.spec.fault === 'outer') zone = loadZone(this.outerDefect);
    else if (this.spec.fault === 'inner') zone = loadZone(th + this.innerDefect);
    else {
      zone = loadZone(TWO_PI * this.cage + this.ballDefect) * (this.ballOnOuter ? 1 : 0.6);
      this.ballOnOuter = !this.ballOnOuter;
    }
    const strike = zone * (1 + 0.1 * this.rng.normal());
    this.shock += strike;
    return this.impact * strike;
  }

  /** Spacing to the next impact in nominal spacings: 1 ± slip jitter (clipped at ±3σ). */
  private impactSpacing(): number {
    return 1 + this.m.slipJitter * clamp(this.rng.normal(), -3, 3);
  }

  /** Supply current (A) without sensor noise: the line sinusoid, amplitude-modulated by the rotor, plus a 5th harmonic. */
  private currentSample(c1: number): number {
    const m = this.m;
    this.line += m.lineHz / this.spec.rate;
    if (this.line >= 1) this.line -= 1;
    this.slipPhase += this.slipStep;
    if (this.slipPhase >= 1) this.slipPhase -= 1;
    const mod = 1 + m.rotorAsymmetry * Math.cos(TWO_PI * this.slipPhase) + this.currentMod * c1 +
      BEARING_CURRENT_MOD * this.severity * this.shock;
    return this.currentPeak * (mod * Math.sin(TWO_PI * this.line) + m.fifthHarmonic * Math.sin(5 * TWO_PI * this.line));
  }

  private closeWindow(last: number): void {
    const spec = this.spec;
    const samples = last + 1 - this.windowStart;
    const t = last / spec.rate;
    const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
    this.windows.push({
      start: this.windowStart,
      samples,
      fault: spec.fault,
      severity: spec.fault === 'healthy' ? 0 : round6(severityAt(spec, t)),
      rulS: spec.lifeS === null ? null : round6(spec.lifeS - t),
      shaftHz: Math.round((this.windowSpeedSum / samples) * 1e4) / 1e4,
    });
    this.windowStart = last + 1;
    this.windowSpeedSum = 0;
  }
}
