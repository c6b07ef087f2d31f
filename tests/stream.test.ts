/** Streaming scores: CSV parsing and windowing, scores against a direct computation, errors by line, the CLI. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createFeatureExtractor, createScorer, CsvScorer, InputError, loadModel, ModelError, parsePmMeta, type PmMeta, type StreamScore,
  synthesize, toCsv, withOverrides,
} from '../host/index.js';
import { parseDecimal } from '../host/pm/stream.js';
import { ROOT, rng } from './helpers.js';

const CLI = join(ROOT, 'dist', 'host', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'edgerun-stream-'));
/** A TensorFlow-made int8 autoencoder with 640 inputs: five channels of 5 statistics + 123 bands. */
const AE = join(ROOT, 'models', 'bench', 'ad_autoencoder.tflite');
const COLUMNS = ['ax', 'ay', 'az', 'current', 'temperature'];
const META: PmMeta = parsePmMeta({
  format: 'edgerun.pm/1', task: 'anomaly', columns: COLUMNS,
  features: { windowSize: 256, hop: 128, sampleRate: 8000, channels: 5, features: ['stats', 'bands'], bands: 123, bandScale: 'linear' },
  normalize: { mean: Array.from({ length: 640 }, (_, i) => (i % 128 < 5 ? 0.5 : -4)), std: Array(640).fill(2) },
  score: 'mse', threshold: 0.6,
}, 'test');
const metaFile = join(tmp, 'meta.json');
writeFileSync(metaFile, JSON.stringify(META));

const run = synthesize({ fault: 'outer', severity: 0.5, duration: 0.25, rate: 8000, machine: 2 });
const CSV = toCsv(run);
const bytes = new TextEncoder().encode(CSV);

function scoreAll(chunks: Uint8Array[], meta = META): { scores: StreamScore[]; rows: number } {
  const model = loadModel(AE);
  const scorer = createScorer(model.createInterpreter(), meta);
  const scores: StreamScore[] = [];
  const csv = new CsvScorer(scorer, { onScore: (s) => scores.push(s) });
  for (const c of chunks) csv.push(c);
  return { scores, rows: csv.end().rows };
}

function edgerun(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 }, (e, stdout, stderr) => {
      resolve({ code: e ? Number(e.code) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? '');
  });
}

test('decimal fields parse exactly like Number()', () => {
  const r = rng(5);
  const enc = new TextEncoder();
  const cases = ['0', '-0', '+1.5', '12.', '.25', '1e-3', '-2.5E+2', '123456789012345', '1234567890123456789', '0.1', '-0.00001', ' 3.25 '];
  for (let i = 0; i < 20000; i++) cases.push(((r() - 0.5) * 10 ** Math.floor(r() * 12 - 6)).toFixed(Math.floor(r() * 10)));
  for (const text of cases) {
    const b = enc.encode(text);
    assert.is(Object.is(parseDecimal(b, 0, b.length), Number(text)), true, text);
  }
  for (const text of ['', ' ', 'abc', '1,2', '1.2.3', 'nan', '--1']) {
    const b = enc.encode(text);
    assert.ok(!Number.isFinite(parseDecimal(b, 0, b.length)), text);
  }
});

test('scores equal features -> normalize -> quantize -> model -> mse, computed directly', () => {
  const { scores, rows } = scoreAll([bytes]);
  const { windowSize: n, hop } = META.features;
  assert.is(rows, 2000);
  assert.is(scores.length, Math.floor((rows - n) / hop) + 1);
  const extractor = createFeatureExtractor(META.features);
  const interpreter = loadModel(AE).createInterpreter();
  const input = interpreter.inputs[0];
  const output = interpreter.outputs[0];
  const channels = [run.ax, run.ay, run.az, run.current, run.temperature];
  scores.forEach((s, k) => {
    const start = k * hop;
    const samples = new Float32Array(n * 5);
    for (let i = 0; i < n; i++) for (let c = 0; c < 5; c++) samples[i * 5 + c] = Number(channels[c][start + i].toFixed([5, 5, 5, 4, 3][c]));
    const f = extractor.compute(samples);
    const q = Array.from(f, (v, i) => Math.max(-128, Math.min(127, Math.sign(v - META.normalize.mean[i]) * Math.round(Math.abs((v - META.normalize.mean[i]) / 2 / input.scale)) + input.zeroPoint)));
    (input.data as Int8Array).set(q);
    interpreter.invoke();
    let sum = 0;
    for (let i = 0; i < 640; i++) sum += (((output.data[i] as number) - output.zeroPoint) * output.scale - (q[i] - input.zeroPoint) * input.scale) ** 2;
    assert.ok(Math.abs(s.score - sum / 640) <= 1e-12 * sum, `window ${k}: ${s.score} vs ${sum / 640}`);
    assert.is(s.t, Number(((start + n - 1) / 8000).toFixed(6)), `window ${k} t`);
    assert.is(s.anomaly, s.score > META.threshold);
    assert.is(s.label, s.anomaly ? 'anomaly' : 'normal');
  });
});

test('any chunking (lines split anywhere, CRLF, no final newline) gives the same scores', () => {
  const whole = scoreAll([bytes]).scores;
  const r = rng(11);
  const crlf = new TextEncoder().encode(CSV.replace(/\n/g, '\r\n').replace(/\r\n$/, ''));
  for (const source of [bytes, crlf]) {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < source.length;) {
      const size = 1 + Math.floor(r() * 700);
      chunks.push(source.subarray(at, at + size));
      at += size;
    }
    assert.equal(scoreAll(chunks).scores, whole);
  }
});

test('fields in other spellings (exponents, spaces, a plus sign, a trailing point) read as the same numbers', () => {
  const respelled = CSV.split('\n').map((line, k) => {
    if (k === 0 || line === '') return line;
    const f = line.split(',');
    f[1] = `${Number(f[1]) * 1000}e-3`;
    f[2] = ` ${f[2]} `;
    f[3] = Number(f[3]) >= 0 ? `+${f[3]}` : f[3];
    f[5] = `${Number(f[5])}`.includes('.') ? f[5] : `${f[5]}.`;
    return f.join(',');
  }).join('\n');
  assert.equal(scoreAll([new TextEncoder().encode(respelled)]).scores, scoreAll([bytes]).scores);
});

test('hop longer than the window skips samples; no timestamp column counts samples at the spec rate', () => {
  const meta = withOverrides(META, { hop: 300 }, 'test');
  const { scores } = scoreAll([bytes], meta);
  assert.is(scores.length, Math.floor((2000 - 256) / 300) + 1);
  assert.equal(scores.map((s) => s.t), scores.map((_, k) => Number(((k * 300 + 255) / 8000).toFixed(6))));
  const noTime = CSV.split('\n').map((l) => l.slice(l.indexOf(',') + 1)).join('\n');
  const plain = scoreAll([new TextEncoder().encode(noTime)]).scores;
  const timed = scoreAll([bytes]).scores;
  assert.equal(plain.map((s) => s.score), timed.map((s) => s.score));
  assert.equal(plain.map((s) => s.t), timed.map((s) => (Math.round(s.t * 8000) / 8000)));
});

test('malformed input: one InputError naming the line', () => {
  const lines = CSV.split('\n');
  const edit = (at: number, line: string | null) => {
    const copy = lines.slice();
    if (line === null) copy.splice(at, 1);
    else copy[at] = line;
    return copy.join('\n');
  };
  const bad: [string, RegExp][] = [
    [edit(700, lines[700].replace(/,[^,]*,/, ',x,')), /^line 701: ax is "x", not a finite number$/],
    [edit(700, lines[700] + ',1'), /^line 701: more than the header's 6 fields$/],
    [edit(700, lines[700].replace(/,[^,]*$/, '')), /^line 701: 5 fields, the header has 6$/],
    [edit(700, ''), /^line 701: an empty row, the header has 6 fields$/],
    [edit(700, lines[700].replace(/,[^,]*$/, ',')), /^line 701: temperature is empty, not a finite number$/],
    [edit(700, lines[700].replace(/,[^,]*$/, ',inf')), /^line 701: temperature is "inf"/],
    [edit(700, lines[600]), /^line 701: timestamp 0\.074875 does not increase/],
    [edit(0, 'timestamp,ax,ay,az,current'), /^line 1: the header lacks column temperature that the model reads/],
    [edit(0, 'timestamp,ax,ay,ax,current,temperature'), /^line 1: column "ax" appears twice/],
    [edit(0, 'timestamp,ax,,az,current,temperature'), /^line 1: the CSV header has an empty column name/],
    [lines[0], /^line 2: no samples after the header$/],
    ['', /^line 1: no CSV header/],
    ['timestamp,' + COLUMNS.join(',') + '\n' + Array.from({ length: 300 }, (_, i) => `${i / 7000},0,0,0,0,0`).join('\n'), /^line 257: the timestamps of the window ending here give 7000\.00 samples\/s; the model's features expect 8000/],
    // a rate that changes after the first window, and a gap, are caught in the window they reach
    ['timestamp,' + COLUMNS.join(',') + '\n' + Array.from({ length: 600 }, (_, i) => `${i < 300 ? i / 8000 : 299 / 8000 + (i - 299) / 4000},0,0,0,0,0`).join('\n'), /^line 385: the timestamps of the window ending here give/],
    ['timestamp,' + COLUMNS.join(',') + '\n' + Array.from({ length: 600 }, (_, i) => `${i / 8000 + (i >= 450 ? 3600 : 0)},0,0,0,0,0`).join('\n'), /^line 513: the timestamps of the window ending here give/],
    [edit(700, lines[700].replace(/,[^,]*,/, ',0x10,')), /^line 701: ax is "0x10", not a finite number$/],
    [edit(700, lines[700].replace(/,[^,]*,/, ',1e39,')), /^line 701: ax is "1e39", not a finite number within float32$/],
    ['x'.repeat(70000), /^line 1: longer than 65536 bytes/],
    ['timestamp,' + COLUMNS.join(',') + '\n' + `0,${'1'.repeat(70000)},0,0,0,0\n`, /^line 2: longer than 65536 bytes/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => scoreAll([new TextEncoder().encode(text)]), (e: Error) => e instanceof InputError && message.test(e.message), message.source);
  }
});

test('CLI: files it reads whole must be regular files (a device never ends); output it cannot write is a one-line error', async () => {
  for (const args of [['--meta', '/dev/zero'], ['--meta', metaFile, '--features', '/dev/zero']]) {
    const r = await edgerun(['stream', AE, '--input', '-', ...args], CSV);
    const flag = args.at(-2);
    assert.is(r.code, 2);
    assert.is(r.stderr, `edgerun: error: ${flag} /dev/zero: not a regular file\n`);
  }
  const model = await edgerun(['stream', '/dev/zero', '--input', '-'], CSV);
  assert.is(model.stderr, 'edgerun: error: /dev/zero: not a regular file\n');
  const threshold = await edgerun(['stream', AE, '--input', '-', '--meta', metaFile, '--threshold', '0x10'], CSV);
  assert.is(threshold.stderr, 'edgerun: error: --threshold must be a decimal number, got "0x10"\n');
  const floor = await edgerun(['stream', AE, '--input', '-', '--meta', metaFile, '--features', '{"logFloor":"x"}'], CSV);
  assert.is(floor.stderr, 'edgerun: error: feature spec: logFloor must be a number in (0, 1], got "x"\n');
  const epoch = 'timestamp,' + COLUMNS.join(',') + '\n' + Array.from({ length: 300 }, (_, i) => `${1700000000 + i / 8000},0,0,0,0,0`).join('\n');
  const t = JSON.parse((await edgerun(['stream', AE, '--input', '-', '--meta', metaFile, '--quiet'], epoch)).stdout.split('\n')[0]).t as number;
  assert.is(t, 1700000000 + 255 / 8000); // the timestamp as read, sub-second digits kept
});

test('metadata is validated field by field', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ format: 'x' }, /format must be "edgerun.pm\/1"/],
    [{ task: 'other' }, /task must be anomaly, classify or rul/],
    [{ score: 'value' }, /score for a anomaly model must be mse/],
    [{ columns: ['ax', 'ax', 'az', 'current', 'temperature'] }, /columns must be distinct/],
    [{ columns: ['ax'] }, /features.channels is 5 but 1 columns/],
    [{ normalize: { mean: [1], std: META.normalize.std } }, /normalize.mean must be 640 finite numbers/],
    [{ normalize: { mean: META.normalize.mean, std: Array(640).fill(0) } }, /normalize.std must be > 0/],
    [{ threshold: null }, /threshold must be a finite number/],
    [{ task: 'classify', score: '1-p0' }, /labels must list the class names/],
    [{ task: 'rul', score: 'value' }, /rulScaleS must be a positive number/],
    [{ features: { ...META.features, windowSize: 100 } }, /windowSize must be a power of two/],
  ];
  for (const [change, message] of bad) {
    assert.throws(() => parsePmMeta({ ...META, ...change }, 'm.tflite'), (e: Error) => e instanceof ModelError && e.message.startsWith('m.tflite: ') && message.test(e.message), message.source);
  }
  assert.throws(() => parsePmMeta('{', 'm'), /not JSON/);
  const model = loadModel(AE);
  const wrongSize = parsePmMeta({ ...META, features: { ...META.features, bands: 122 }, normalize: { mean: Array(635).fill(0), std: Array(635).fill(1) } }, 't');
  assert.throws(() => createScorer(model.createInterpreter(), wrongSize), /takes 640 input values, the features give 1 x 635 = 635/);
});

test('CLI: JSON lines on stdout, summary on stderr, stdin, errors keep the lines before them', async () => {
  const csvFile = join(tmp, 'run.csv');
  writeFileSync(csvFile, CSV);
  const broken = CSV.split('\n');
  broken[1500] = broken[1500].replace(/,[^,]*$/, ',oops');
  const [help, fromFile, fromStdin, failed, noMeta, noInput] = await Promise.all([
    edgerun(['stream', '--help']),
    edgerun(['stream', AE, '--meta', metaFile, '--input', csvFile]),
    edgerun(['stream', AE, '--meta', JSON.stringify(META), '--input', '-', '--quiet'], CSV),
    edgerun(['stream', AE, '--meta', metaFile, '--input', '-', '--quiet'], broken.join('\n')),
    edgerun(['stream', AE, '--input', csvFile]),
    edgerun(['stream', AE, '--meta', metaFile]),
  ]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: edgerun stream MODEL --input FILE\|-/);
  assert.is(fromFile.code, 0, fromFile.stderr);
  const expected = scoreAll([bytes]).scores;
  const lines = fromFile.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.is(lines.length, expected.length);
  lines.forEach((l, k) => {
    assert.equal(Object.keys(l), ['t', 'score', 'label', 'anomaly']);
    assert.is(l.t, expected[k].t);
    assert.is(l.score, Number(expected[k].score.toPrecision(6)));
    assert.is(l.anomaly, expected[k].anomaly);
  });
  assert.match(fromFile.stderr, new RegExp(`^stream: ${lines.length} windows from 0\\.25 s of signal \\(2,000 rows\\) in [\\d.]+ s, \\d+x real time; \\d+ anomalous`));
  assert.is(fromStdin.stdout, fromFile.stdout);
  assert.is(fromStdin.stderr, '');
  assert.is(failed.code, 2);
  assert.is(failed.stderr, 'edgerun: error: line 1501: temperature is "oops", not a finite number\n');
  assert.is(failed.stdout, lines.slice(0, Math.floor((1499 - 256) / 128) + 1).map((l) => JSON.stringify(l)).join('\n') + '\n');
  assert.is(noMeta.code, 2);
  assert.match(noMeta.stderr, /has no edgerun\.pm metadata .*--meta FILE\n$/);
  assert.is(noInput.code, 2);
  assert.match(noInput.stderr, /stream needs --input FILE/);
});

test('bundled models: labels per task, RUL after its context, a compiled module streams the same lines on V8 and wasmtime', async () => {
  const pm = (name: string) => join(ROOT, 'models', 'pm', `${name}.tflite`);
  const csvFile = join(tmp, 'ball.csv');
  const ball = synthesize({ fault: 'ball', severity: 0.6, duration: 40, machine: 3 });
  writeFileSync(csvFile, toCsv(ball));
  const wasm = join(tmp, 'fault_cnn.wasm');
  const compiled = await edgerun(['compile', pm('fault_cnn'), '-o', wasm]);
  assert.is(compiled.code, 0, compiled.stderr);
  const [ae, cnn, rul, fromWasm, onWasmtime] = await Promise.all([
    edgerun(['stream', pm('anomaly_ae'), '--input', csvFile, '--quiet']),
    edgerun(['stream', pm('fault_cnn'), '--input', csvFile, '--quiet']),
    edgerun(['stream', pm('rul'), '--input', csvFile, '--quiet']),
    edgerun(['stream', wasm, '--input', csvFile, '--quiet']),
    edgerun(['stream', wasm, '--input', csvFile, '--quiet', '--runtime', 'wasmtime']),
  ]);
  const parse = (r: { code: number; stdout: string; stderr: string }) => {
    assert.is(r.code, 0, r.stderr);
    return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  };
  const aeLines = parse(ae);
  assert.is(aeLines.length, Math.floor((400000 - 4096) / 2048) + 1);
  assert.ok(aeLines.filter((l) => l.anomaly).length > 0.9 * aeLines.length, 'a ball fault at severity 0.6 is anomalous');
  assert.ok(aeLines.every((l) => l.label === (l.anomaly ? 'anomaly' : 'normal')));
  const cnnLines = parse(cnn);
  assert.ok(cnnLines.filter((l) => l.label === 'ball').length > 0.6 * cnnLines.length, 'diagnosed as ball (most windows)');
  const rulLines = parse(rul);
  assert.is(rulLines.length, Math.floor((400000 - 4096) / 10000) + 1 - 31, 'no RUL line until 32 windows');
  assert.ok(rulLines.every((l) => typeof l.score === 'number' && l.score >= 0));
  assert.is(fromWasm.stdout, cnn.stdout);
  if (onWasmtime.code === 0 || process.env.EDGERUN_REQUIRE_WASMTIME) assert.is(onWasmtime.stdout, cnn.stdout, onWasmtime.stderr);
  else console.log(`  (wasmtime stream skipped: ${onWasmtime.stderr.trim()})`);
});

test.run();
