/** The sensor-data generator: determinism, spectra against the physics, degradation, labels, split, CSV, CLI. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../host/index.js';
import {
  type BearingGeometry, createSynth, CSV_HEADER, type Fault, FAULTS, makeMachine, splitMachines, synthesize, type SynthRun, toCsv,
} from '../host/pm/synth.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'edgerun-synth-'));

/** Runs the CLI; tests start several at once (each costs Node's start-up). */
function edgerun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 }, (e, stdout, stderr) => {
      resolve({ code: e ? Number(e.code) : 0, stdout, stderr });
    });
  });
}

const hannCache = new Map<number, Float64Array>();
function hann(n: number): Float64Array {
  let w = hannCache.get(n);
  if (!w) hannCache.set(n, (w = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n))));
  return w;
}

/** Amplitude of the component at f Hz: a Hann-windowed single-bin DFT (Goertzel), scaled so a sinusoid of amplitude A reads A. */
function amplitude(x: ArrayLike<number>, f: number, rate: number): number {
  const n = x.length;
  const w = hann(n);
  const c = 2 * Math.cos((2 * Math.PI * f) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = x[i] * w[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (4 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2))) / n;
}

/** Largest amplitude within f ± tol Hz (speed drift and slip smear lines a little). */
function peak(x: ArrayLike<number>, f: number, rate: number, tol: number): number {
  let best = 0;
  for (let k = -5; k <= 5; k++) best = Math.max(best, amplitude(x, f + (k * tol) / 5, rate));
  return best;
}

/** Mean shaft speed over the run, Hz, from the window labels. */
const shaftHz = (r: SynthRun) => r.meta.windows.reduce((s, w) => s + w.shaftHz * w.samples, 0) / r.meta.samples;

/** Textbook ball pass frequencies: BPFO/BPFI = n fr / 2 · (1 ∓ d/D cos φ); BSF = D fr / 2d · (1 − (d/D cos φ)²). */
function defectHz(g: BearingGeometry, fr: number) {
  const c = (g.ballDiameterMm / g.pitchDiameterMm) * Math.cos((g.contactAngleDeg * Math.PI) / 180);
  return { bpfo: ((g.balls * fr) / 2) * (1 - c), bpfi: ((g.balls * fr) / 2) * (1 + c), bsf: ((g.pitchDiameterMm * fr) / (2 * g.ballDiameterMm)) * (1 - c * c) };
}

/** Squared envelope at rate / 10: the high-passed signal (first difference) squared, averaged over 10 samples, mean removed. */
function envelope(x: Float32Array): Float64Array {
  const e = new Float64Array(Math.floor((x.length - 1) / 10));
  for (let j = 0; j < e.length; j++) {
    for (let k = 1; k <= 10; k++) e[j] += (x[10 * j + k] - x[10 * j + k - 1]) ** 2;
  }
  const mean = e.reduce((s, v) => s + v, 0) / e.length;
  return e.map((v) => v - mean);
}

/** Peak near f (± 1.5 %) over the median amplitude of 60 frequencies between 0.3 f and 4 f, away from f's harmonics. */
function lineRatio(env: Float64Array, f: number, rate: number, base = f): number {
  const floor: number[] = [];
  for (let k = 0; k < 60; k++) {
    const g = base * (0.3 + (3.7 * k) / 60);
    if (Math.abs(g / base - Math.round(g / base)) > 0.06) floor.push(amplitude(env, g, rate));
  }
  floor.sort((a, b) => a - b);
  return peak(env, f, rate, 0.015 * f) / floor[floor.length >> 1];
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
function kurtosis(x: Float32Array): number {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  let m2 = 0;
  let m4 = 0;
  for (const v of x) {
    m2 += (v - mean) ** 2;
    m4 += (v - mean) ** 4;
  }
  return (m4 / x.length) / (m2 / x.length) ** 2;
}

test('same seed and options give identical bytes; another seed, run or machine gives others', () => {
  const csv = (o: object) => toCsv(synthesize({ fault: 'outer', duration: 0.5, ...o }));
  const a = csv({ seed: 7 });
  assert.is(csv({ seed: 7 }), a);
  for (const other of [{ seed: 8 }, { seed: 7, run: 1 }, { seed: 7, machine: 1 }]) assert.is.not(csv(other), a, JSON.stringify(other));
  const m0 = makeMachine(7, 0);
  const m1 = makeMachine(7, 1);
  assert.equal(makeMachine(7, 0), m0);
  assert.is.not(JSON.stringify(m0.bearing) + m0.resonanceHz, JSON.stringify(m1.bearing) + m1.resonanceHz);
});

test('streaming in blocks of any size gives the same samples and labels as one call', () => {
  const options = { fault: 'inner' as const, degrade: 3, rate: 4000, window: 1500 };
  const whole = synthesize(options);
  const synth = createSynth(options);
  let at = 0;
  for (let block = synth.next(777); block; block = synth.next(777)) {
    assert.is(block.start, at);
    for (const c of ['ax', 'ay', 'az', 'current', 'temperature'] as const) assert.equal(Array.from(block[c]), Array.from(whole[c].subarray(at, at + block.ax.length)), c);
    at += block.ax.length;
  }
  assert.is(at, 12000);
  assert.equal(synth.meta.windows, whole.meta.windows);
  assert.equal(whole.meta.windows.map((w) => w.samples), [...Array(8).fill(1500)]);
});

test('CSV: header, one row per sample, exact timestamps i / rate, fixed decimals', () => {
  const run = synthesize({ fault: 'misalignment', duration: 0.25, rate: 8000 });
  const lines = toCsv(run).split('\n');
  assert.is(lines[0], CSV_HEADER);
  assert.is(lines[0], 'timestamp,ax,ay,az,current,temperature');
  assert.is(lines.at(-1), '');
  const rows = lines.slice(1, -1);
  assert.is(rows.length, 2000);
  rows.forEach((row, i) => {
    assert.match(row, /^\d+\.\d{6},-?\d+\.\d{5},-?\d+\.\d{5},-?\d+\.\d{5},-?\d+\.\d{4},-?\d+\.\d{3}$/);
    const [t, ax, , , current] = row.split(',').map(Number);
    assert.is(t, i / 8000);
    assert.ok(Math.abs(ax - run.ax[i]) <= 0.5e-5 + 1e-12 && Math.abs(current - run.current[i]) <= 0.5e-4 + 1e-12, row);
  });
  assert.match(toCsv(synthesize({ duration: 0.001 })).split('\n')[2], /^0\.0001,/); // 10 kHz: four decimals
});

test('imbalance shows 1x, misalignment 2x, looseness half orders; a healthy machine none of them', () => {
  for (const machine of [0, 1]) {
    const runs = Object.fromEntries(['healthy', 'imbalance', 'misalignment', 'looseness'].map((fault) => [fault, synthesize({ fault: fault as Fault, machine, duration: 4 })]));
    const fr = shaftHz(runs.healthy);
    const tol = 0.01 * fr;
    const at = (fault: string, order: number, axis: 'ax' | 'ay' = 'ax') => peak(runs[fault][axis], order * fr, 10000, tol);
    assert.ok(at('imbalance', 1) > 8 * at('healthy', 1), `machine ${machine}: imbalance 1x ${at('imbalance', 1)} vs healthy ${at('healthy', 1)}`);
    assert.ok(at('imbalance', 1) > 10 * at('imbalance', 2), `machine ${machine}: imbalance 1x over 2x`);
    assert.ok(at('misalignment', 2) > 8 * at('healthy', 2), `machine ${machine}: misalignment 2x`);
    assert.ok(at('misalignment', 2) > 1.5 * at('misalignment', 1), `machine ${machine}: misalignment 2x over 1x`);
    for (const order of [0.5, 1.5]) assert.ok(at('looseness', order, 'ay') > 10 * at('healthy', order, 'ay'), `machine ${machine}: looseness ${order}x`);
  }
});

test('envelope spectra: BPFO and harmonics (from the bearing geometry) for an outer-race defect, BPFI with ±1x sidebands for inner, 2 x BSF for a ball', () => {
  for (const machine of [0, 1, 2]) {
    const outer = synthesize({ fault: 'outer', severity: 0.3, machine });
    const fr = shaftHz(outer);
    const { bpfo, bpfi, bsf } = defectHz(outer.meta.machine.bearing, fr);
    assert.ok(Math.abs(outer.meta.frequencies.bpfo / outer.meta.frequencies.shaftHz - bpfo / fr) < 1e-3);
    const env = envelope(outer.ay);
    const ratios = [1, 2, 3].map((h) => lineRatio(env, h * bpfo, 1000, bpfo));
    assert.ok(ratios[0] > 20 && ratios[1] > 6 && ratios[2] > 3, `machine ${machine}: BPFO harmonics ${ratios}`);
    const healthy = lineRatio(envelope(synthesize({ machine }).ay), bpfo, 1000);
    assert.ok(healthy < 8 && ratios[0] > 5 * healthy, `machine ${machine}: healthy BPFO line ${healthy}`);

    const inner = envelope(synthesize({ fault: 'inner', severity: 0.3, machine }).ay);
    assert.ok(lineRatio(inner, bpfi, 1000) > 8, `machine ${machine}: BPFI`);
    assert.ok(lineRatio(inner, bpfi - fr, 1000, bpfi) > 5, `machine ${machine}: BPFI - 1x (load zone)`);
    const ball = envelope(synthesize({ fault: 'ball', severity: 0.3, machine }).ay);
    assert.ok(lineRatio(ball, 2 * bsf, 1000) > 5, `machine ${machine}: 2 x BSF`);
  }
});

test('motor current: line frequency with (1 ± 2s) slip sidebands; imbalance raises fline ± fr', () => {
  const healthy = synthesize({ rate: 2000 });
  const imbalance = synthesize({ fault: 'imbalance', rate: 2000 });
  const m = healthy.meta.machine;
  const fr = shaftHz(healthy);
  const slip = 1 - (m.polePairs * fr) / m.lineHz;
  const line = peak(healthy.current, m.lineHz, 2000, 0.2);
  assert.ok(line > 0.5 * m.ratedCurrentA && line < 1.5 * m.ratedCurrentA, `line ${line} A`);
  const floor = peak(healthy.current, 2.5 * m.lineHz + 3, 2000, 0.4); // between the 2nd and 3rd harmonics: nothing there
  for (const f of [m.lineHz * (1 - 2 * slip), m.lineHz * (1 + 2 * slip)]) assert.ok(peak(healthy.current, f, 2000, 0.4) > 5 * floor, `slip sideband ${f} Hz`);
  for (const f of [m.lineHz - fr, m.lineHz + fr]) {
    assert.ok(peak(imbalance.current, f, 2000, 0.4) > 4 * peak(healthy.current, f, 2000, 0.4), `eccentricity sideband ${f} Hz`);
  }
});

test('degradation run: severity grows exponentially to 1, RUL counts down, RMS and kurtosis grow, the housing warms', () => {
  const run = synthesize({ fault: 'outer', degrade: 20, machine: 2 });
  const { windows } = run.meta;
  assert.is(windows.length, 20);
  windows.forEach((w, k) => {
    const t = (w.start + w.samples - 1) / 10000;
    assert.ok(Math.abs(w.severity - 0.05 * 20 ** (t / 20)) < 1e-5, `window ${k} severity ${w.severity}`);
    assert.ok(Math.abs((w.rulS ?? NaN) - (20 - t)) < 1e-5, `window ${k} RUL ${w.rulS}`);
  });
  assert.ok(windows.at(-1)!.severity > 0.9999);
  const tenths = Array.from({ length: 10 }, (_, k) => run.ay.subarray(k * 20000, (k + 1) * 20000));
  const r = tenths.map(rms);
  const ku = tenths.map(kurtosis);
  for (let k = 1; k < 10; k++) assert.ok(r[k] > r[k - 1], `RMS ${r}`);
  assert.ok(r[9] > 4 * r[0], `RMS ${r}`);
  assert.ok(ku[9] > 1.5 * ku[0] && ku[9] > 6, `kurtosis ${ku}`);
  assert.equal(synthesize({ fault: 'imbalance' }).meta.windows.map((w) => w.rulS), Array(10).fill(null));

  // Same machine and run: the same load path, so the temperature difference is the fault's friction heat, lagging.
  const slow = synthesize({ fault: 'outer', degrade: 300, machine: 2, rate: 1000 });
  const healthy = synthesize({ duration: 300, machine: 2, rate: 1000 });
  const meanT = (x: SynthRun, k: number) => x.temperature.subarray(k * 1000, (k + 1) * 1000).reduce((s, v) => s + v, 0) / 1000;
  assert.ok(Math.abs(meanT(slow, 0) - meanT(healthy, 0) - 0.75) < 0.1, 'initial heat: 0.05 of 15 degC');
  assert.ok(meanT(slow, 299) - meanT(healthy, 299) > 2, `heat near failure: ${meanT(slow, 299) - meanT(healthy, 299)} degC`);
});

test('train/test split by machine id: disjoint, one test machine per block of five, carried in the labels', () => {
  const { train, test: testIds } = splitMachines(1, 100);
  assert.is(testIds.length, 20);
  assert.equal([...train, ...testIds].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.not.ok(train.some((id) => testIds.includes(id)));
  for (let block = 0; block < 20; block++) assert.is(testIds.filter((id) => Math.floor(id / 5) === block).length, 1);
  for (const id of [...testIds.slice(0, 3), ...train.slice(0, 3)]) {
    assert.is(synthesize({ machine: id, duration: 0.01 }).meta.machine.split, testIds.includes(id) ? 'test' : 'train');
  }
  assert.is.not(splitMachines(2, 100).test.join(), testIds.join());
});

test('API: bad options throw one-line InputErrors', () => {
  const bad: [object, RegExp][] = [
    [{ fault: 'rust' }, /unknown fault "rust" \(faults: healthy, inner/],
    [{ fault: 'outer', severity: 1.5 }, /severity must be > 0 and ≤ 1/],
    [{ fault: 'outer', severity: 0 }, /severity must be/],
    [{ severity: 0.5 }, /healthy run has no fault severity/],
    [{ degrade: 10 }, /healthy run does not degrade/],
    [{ fault: 'ball', degrade: 10, duration: 11 }, /past the failure/],
    [{ fault: 'ball', degrade: 10, severity: 1 }, /initial severity/],
    [{ rate: 999 }, /rate must be a whole number 1000..200000/],
    [{ duration: NaN }, /duration must be/],
    [{ machine: 1.5 }, /machine must be a whole number/],
    [{ seed: -1 }, /seed must be/],
    [{ duration: 86400, rate: 1000 }, /too many to hold in memory/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => synthesize(options), (e: Error) => e instanceof InputError && message.test(e.message) && !e.message.includes('\n'), JSON.stringify(options));
  }
  assert.is(FAULTS.length, 7);
});

function expectError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /^edgerun: error: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

test('CLI: --help, CSV on stdout or --out (same bytes, renamed into place), --labels and --json metadata', async () => {
  const args = ['synth', '--fault', 'ball', '--severity', '0.4', '--duration', '0.5', '--rate', '5000', '--machine', '3', '--seed', '9'];
  const out = join(tmp, 'run.csv');
  const labels = join(tmp, 'run.json');
  const [help, mainHelp, stdout, written, json] = await Promise.all([
    edgerun('synth', '--help'),
    edgerun('--help'),
    edgerun(...args),
    edgerun(...args, '--out', out, '--labels', labels),
    edgerun(...args, '--out', join(tmp, 'life.csv'), '--json', '--degrade', '0.5', '--window', '1000'),
  ]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: edgerun synth/);
  assert.match(mainHelp.stdout, /\n  synth /);

  assert.is(stdout.code, 0, stdout.stderr);
  assert.is(stdout.stderr, '');
  assert.is(stdout.stdout, toCsv(synthesize({ fault: 'ball', severity: 0.4, duration: 0.5, rate: 5000, machine: 3, seed: 9 })));

  assert.is(written.code, 0, written.stderr);
  assert.match(written.stdout, /^wrote .*run\.csv: 2500 rows \(0\.5 s at 5000 Hz\), machine 3 \((train|test)\), ball, severity 0\.4\n/);
  assert.is(readFileSync(out, 'utf8'), stdout.stdout);
  const meta = JSON.parse(readFileSync(labels, 'utf8'));
  assert.is(meta.format, 'edgerun.synth/1');
  assert.equal([meta.fault, meta.severity, meta.rate, meta.samples, meta.machine.id, meta.seed], ['ball', 0.4, 5000, 2500, 3, 9]);
  assert.equal(Object.keys(meta.windows[0]).sort(), ['fault', 'rulS', 'samples', 'severity', 'shaftHz', 'start']);

  assert.is(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout);
  assert.equal(j.degradation, { model: 'exponential', initialSeverity: 0.4, failureSeverity: 1, lifeS: 0.5 });
  assert.equal(j.windows.map((w: { samples: number }) => w.samples), [1000, 1000, 500]);
  assert.is(j.windows.at(-1).rulS, 0.0002);
  assert.equal(readdirSync(tmp).sort(), ['life.csv', 'run.csv', 'run.json']);
});

test('CLI: bad arguments give one line and exit 2, and write nothing', async () => {
  const keep = join(tmp, 'keep.csv');
  writeFileSync(keep, 'precious');
  const cases: [string[], RegExp][] = [
    [['--duration', 'abc', '--out', keep], /--duration must be a number, got "abc"/],
    [['--rate', '1e4'], /--rate must be a whole number, got "1e4"/],
    [['--rate', '500'], /rate must be a whole number 1000\.\.200000, got 500/],
    [['--fault', 'gearbox'], /unknown fault "gearbox"/],
    [['--fault', 'outer', '--severity', '1.5'], /severity must be > 0 and ≤ 1/],
    [['--fault', 'outer', '--severity', '-1'], /--severity must be a number, got "-1"/],
    [['--json'], /--json .* --out FILE/],
    [['--speed', '3'], /unknown option --speed/],
    [['--out', join(tmp, 'missing', 'x.csv')], /missing\/x\.csv: cannot write \(ENOENT\)/],
  ];
  const results = await Promise.all(cases.map(([args]) => edgerun('synth', ...args)));
  results.forEach((r, k) => expectError(r, cases[k][1]));
  assert.is(readFileSync(keep, 'utf8'), 'precious');
  assert.ok(readdirSync(tmp).every((f) => !f.endsWith('.tmp')));
});

test.run();
