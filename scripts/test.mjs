// Runs the uvu suites compiled to dist/tests and ends with one line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const uvu = join(root, 'node_modules', 'uvu', 'bin.js');
const pattern = process.argv[2] ? `(${process.argv[2]})[^/]*\\.test\\.js$` : '\\.test\\.js$';
// The whole suite takes about two minutes; a hung test must fail the run, not stall CI.
const LIMIT_MINUTES = 20;
const result = spawnSync(process.execPath, [uvu, join('dist', 'tests'), pattern], {
  cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: LIMIT_MINUTES * 60_000, killSignal: 'SIGKILL', maxBuffer: 1 << 28,
});
process.stdout.write(result.stdout ?? '');
if (result.error?.code === 'ETIMEDOUT') {
  console.log('0 passed, 1 failed');
  console.error(`test runner: the suite ran past ${LIMIT_MINUTES} minutes and was stopped (a test hung; the last file started is the one above)`);
  process.exit(1);
}
const plain = (result.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, ''); // uvu colours its summary
const num = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? NaN);
const total = num('Total');
const passed = num('Passed');
const skipped = num('Skipped');
if (Number.isNaN(total) || Number.isNaN(passed)) {
  console.log('0 passed, 1 failed');
  console.error('test runner: could not read uvu\'s summary (did a test file crash?)');
  process.exit(1);
}
const failed = total - passed; // uvu's Total leaves skipped tests out
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(result.status === 0 && failed === 0 ? 0 : 1);
