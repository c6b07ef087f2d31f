// Table lookup for unary int8 ops (host/abi/blocks.ts lut8); the same in both modules.
import { LUT8_INPUT, LUT8_OUTPUT, LUT8_TABLE, LUT8_COUNT } from '../params';

export function lut8(p: usize): i32 {
  const input = load<usize>(p, LUT8_INPUT);
  const output = load<usize>(p, LUT8_OUTPUT);
  const table = load<usize>(p, LUT8_TABLE) + 128;
  const count = load<i32>(p, LUT8_COUNT);
  for (let i = 0; i < count; i++) {
    store<i8>(output + <usize>i, load<i8>(table + <usize>(<isize>load<i8>(input + <usize>i))));
  }
  return 0;
}
