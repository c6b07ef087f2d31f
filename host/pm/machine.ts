/** A fleet of simulated machines: each id draws its own motor, bearing, structure and sensors from the seed. */
import type { BearingGeometry } from './bearing.js';
import { Rng } from './random.js';

/** Machines are split in blocks of this many consecutive ids: one per block is a test machine. */
export const SPLIT_BLOCK = 5;

export type Split = 'train' | 'test';

/** An induction motor driving a shaft on rolling bearings, with a tri-axial accelerometer on the bearing housing. */
export interface Machine {
  id: number;
  split: Split;
  /** Supply frequency, Hz. */
  lineHz: number;
  /** Pole pairs p: synchronous speed is lineHz / p. */
  polePairs: number;
  /** Slip at full load, as a fraction of synchronous speed. */
  ratedSlip: number;
  /** Supply current at full load, A RMS. */
  ratedCurrentA: number;
  /** No-load (magnetizing) current as a fraction of the rated current. */
  magnetizingFraction: number;
  /** Typical load, fraction of rated; each run varies around it. */
  loadMean: number;
  bearing: BearingGeometry;
  /** Structural resonance seen by each axis (x horizontal, y vertical, z axial), Hz. */
  resonanceHz: [number, number, number];
  /** Damping ratio ζ of the resonances. */
  damping: number;
  /** Bearing impact transmission to each axis (y, the load direction, is 1). */
  bearingAxisGain: [number, number, number];
  /** Standard deviation of the spacing between bearing impacts, as a fraction of the nominal spacing (rolling-element slip). */
  slipJitter: number;
  /** Accelerometer noise, g RMS per axis. */
  noiseG: number;
  /** Broadband structural response (flow, friction) through the resonances, g RMS. */
  structureG: number;
  /** Healthy machine's residual 1x (imbalance) and 2x (misalignment) at nominal speed, g. */
  residualImbalanceG: number;
  residualMisalignmentG: number;
  /** Fault signatures at severity 1 and nominal speed: 1x, 2x and looseness amplitudes, bearing impact peak, g. */
  imbalanceG: number;
  misalignmentG: number;
  loosenessG: number;
  bearingG: number;
  /** Vertical over horizontal response to a rotating force (support stiffness anisotropy). */
  anisotropy: number;
  /** Motor-current signature: (1 ± 2s) fline sideband modulation index (rotor asymmetry), 5th harmonic share. */
  rotorAsymmetry: number;
  fifthHarmonic: number;
  /** Ambient temperature, °C; housing temperature rise at rated current, °C; thermal time constant, s. */
  ambientC: number;
  temperatureRiseC: number;
  thermalTauS: number;
}

/** Whether machine `id` of the fleet `seed` is a train or a test machine: one id per block of five is test. */
export function machineSplit(seed: number, id: number): Split {
  const block = Math.floor(id / SPLIT_BLOCK);
  const testIndex = new Rng(seed, 'split', block).uint32() % SPLIT_BLOCK;
  return id % SPLIT_BLOCK === testIndex ? 'test' : 'train';
}

/** Machine ids 0..count-1 by split: disjoint, and exactly one test machine per whole block of five. */
export function splitMachines(seed: number, count: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let id = 0; id < count; id++) (machineSplit(seed, id) === 'test' ? test : train).push(id);
  return { train, test };
}

/** x to 0.01 (a geometry catalogue's precision), as the nearest double. */
const mm = (x: number) => Math.round(x * 100) / 100;

/** Rolling-bearing geometry: pitch 25-90 mm, balls d/D 0.15-0.25 filling 55-80 % of the pitch circle. */
function drawBearing(rng: Rng): BearingGeometry {
  const pitch = mm(rng.uniform(25, 90));
  const ball = mm(pitch * rng.uniform(0.15, 0.25));
  const balls = Math.max(6, Math.floor((Math.PI * pitch * rng.uniform(0.55, 0.8)) / ball));
  return { pitchDiameterMm: pitch, ballDiameterMm: ball, balls, contactAngleDeg: rng.pick([0, 0, 0, 15, 25, 40]) };
}

/** Machine `id` of the fleet `seed`: the same (seed, id) always gives the same machine. */
export function makeMachine(seed: number, id: number): Machine {
  const rng = new Rng(seed, 'machine', id);
  // Parameters to 4 significant digits: the values in a run's labels are exactly the ones simulated.
  const sig4 = (x: number) => Number(x.toPrecision(4));
  const u = (lo: number, hi: number) => sig4(rng.uniform(lo, hi));
  const logU = (lo: number, hi: number) => sig4(rng.logUniform(lo, hi));
  const resonance = rng.uniform(2000, 4000);
  return {
    id,
    split: machineSplit(seed, id),
    lineHz: rng.pick([50, 60]),
    polePairs: rng.pick([1, 2, 2, 3]),
    ratedSlip: u(0.02, 0.05),
    ratedCurrentA: logU(3, 60),
    magnetizingFraction: u(0.3, 0.5),
    loadMean: u(0.5, 0.9),
    bearing: drawBearing(rng),
    resonanceHz: [sig4(resonance * rng.uniform(0.9, 1.1)), sig4(resonance), sig4(resonance * rng.uniform(0.9, 1.1))],
    damping: u(0.03, 0.08),
    bearingAxisGain: [u(0.5, 0.9), 1, u(0.25, 0.5)],
    slipJitter: u(0.01, 0.02),
    noiseG: logU(0.003, 0.015),
    structureG: logU(0.01, 0.04),
    residualImbalanceG: u(0.01, 0.03),
    residualMisalignmentG: u(0.004, 0.012),
    imbalanceG: u(0.5, 1),
    misalignmentG: u(0.3, 0.6),
    loosenessG: u(0.3, 0.6),
    bearingG: u(1.5, 4),
    anisotropy: u(0.6, 1),
    rotorAsymmetry: u(0.002, 0.008),
    fifthHarmonic: u(0.01, 0.03),
    ambientC: u(18, 32),
    temperatureRiseC: u(25, 45),
    thermalTauS: u(300, 900),
  };
}
