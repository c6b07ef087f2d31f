// Data movement and resampling kernels; one implementation serves both modules.
import {
  STRIDED_COPY_INPUT, STRIDED_COPY_OUTPUT, STRIDED_COPY_ELEMENT_BYTES, STRIDED_COPY_IN_OFFSET,
  STRIDED_COPY_OUT_OFFSET, STRIDED_COPY_DIMS, STRIDED_COPY_IN_STRIDES, STRIDED_COPY_OUT_STRIDES,
  STRIDED_COPY_FILL, STRIDED_COPY_FILL_VALUE, STRIDED_COPY_OUTPUT_BYTES,
  GATHER_PARAMS, GATHER_INDICES, GATHER_OUTPUT, GATHER_BATCHES, GATHER_OUTER, GATHER_AXIS_SIZE, GATHER_COUNT,
  GATHER_INNER_BYTES, GATHER_INDEX_BYTES,
  RESIZE_NEAREST_INPUT, RESIZE_NEAREST_OUTPUT, RESIZE_NEAREST_ROWS, RESIZE_NEAREST_COLS,
  RESIZE_NEAREST_BATCHES, RESIZE_NEAREST_IN_H, RESIZE_NEAREST_IN_W, RESIZE_NEAREST_OUT_H,
  RESIZE_NEAREST_OUT_W, RESIZE_NEAREST_PIXEL_BYTES,
  RESIZE_BILINEAR_INPUT, RESIZE_BILINEAR_OUTPUT, RESIZE_BILINEAR_ROWS, RESIZE_BILINEAR_COLS,
  RESIZE_BILINEAR_BATCHES, RESIZE_BILINEAR_IN_H, RESIZE_BILINEAR_IN_W, RESIZE_BILINEAR_OUT_H,
  RESIZE_BILINEAR_OUT_W, RESIZE_BILINEAR_CHANNELS,
} from '../params';

// @ts-ignore: decorator
@inline
function copyElements(dst: usize, src: usize, n: i32, inStride: i32, outStride: i32, size: i32): void {
  if (inStride == 1 && outStride == 1) {
    memory.copy(dst, src, <usize>(n * size));
    return;
  }
  const inStep = <isize>(inStride * size);
  const outStep = <isize>(outStride * size);
  for (let i = 0; i < n; i++) {
    if (size == 1) store<u8>(dst, load<u8>(src));
    else if (size == 2) store<u16>(dst, load<u16>(src));
    else if (size == 4) store<u32>(dst, load<u32>(src));
    else store<u64>(dst, load<u64>(src));
    src += inStep;
    dst += outStep;
  }
}

export function strided_copy(p: usize): i32 {
  const size = load<i32>(p, STRIDED_COPY_ELEMENT_BYTES);
  const input = load<usize>(p, STRIDED_COPY_INPUT) + <usize>(load<i32>(p, STRIDED_COPY_IN_OFFSET) * size);
  const output = load<usize>(p, STRIDED_COPY_OUTPUT);
  if (load<i32>(p, STRIDED_COPY_FILL)) {
    memory.fill(output, <u8>load<i32>(p, STRIDED_COPY_FILL_VALUE), <usize>load<i32>(p, STRIDED_COPY_OUTPUT_BYTES));
  }
  const out = output + <usize>(load<i32>(p, STRIDED_COPY_OUT_OFFSET) * size);
  const d0 = load<i32>(p, STRIDED_COPY_DIMS);
  const d1 = load<i32>(p, STRIDED_COPY_DIMS + 4);
  const d2 = load<i32>(p, STRIDED_COPY_DIMS + 8);
  const d3 = load<i32>(p, STRIDED_COPY_DIMS + 12);
  const d4 = load<i32>(p, STRIDED_COPY_DIMS + 16);
  const d5 = load<i32>(p, STRIDED_COPY_DIMS + 20);
  const is5 = load<i32>(p, STRIDED_COPY_IN_STRIDES + 20);
  const os5 = load<i32>(p, STRIDED_COPY_OUT_STRIDES + 20);
  for (let i0 = 0; i0 < d0; i0++) {
    const a0 = i0 * load<i32>(p, STRIDED_COPY_IN_STRIDES);
    const b0 = i0 * load<i32>(p, STRIDED_COPY_OUT_STRIDES);
    for (let i1 = 0; i1 < d1; i1++) {
      const a1 = a0 + i1 * load<i32>(p, STRIDED_COPY_IN_STRIDES + 4);
      const b1 = b0 + i1 * load<i32>(p, STRIDED_COPY_OUT_STRIDES + 4);
      for (let i2 = 0; i2 < d2; i2++) {
        const a2 = a1 + i2 * load<i32>(p, STRIDED_COPY_IN_STRIDES + 8);
        const b2 = b1 + i2 * load<i32>(p, STRIDED_COPY_OUT_STRIDES + 8);
        for (let i3 = 0; i3 < d3; i3++) {
          const a3 = a2 + i3 * load<i32>(p, STRIDED_COPY_IN_STRIDES + 12);
          const b3 = b2 + i3 * load<i32>(p, STRIDED_COPY_OUT_STRIDES + 12);
          for (let i4 = 0; i4 < d4; i4++) {
            const a4 = a3 + i4 * load<i32>(p, STRIDED_COPY_IN_STRIDES + 16);
            const b4 = b3 + i4 * load<i32>(p, STRIDED_COPY_OUT_STRIDES + 16);
            copyElements(out + <usize>(<isize>b4 * size), input + <usize>(<isize>a4 * size), d5, is5, os5, size);
          }
        }
      }
    }
  }
  return 0;
}

export function gather(p: usize): i32 {
  const params = load<usize>(p, GATHER_PARAMS);
  const indices = load<usize>(p, GATHER_INDICES);
  let out = load<usize>(p, GATHER_OUTPUT);
  const batches = load<i32>(p, GATHER_BATCHES);
  const outer = load<i32>(p, GATHER_OUTER);
  const axisSize = load<i32>(p, GATHER_AXIS_SIZE);
  const count = load<i32>(p, GATHER_COUNT);
  const inner = <usize>load<i32>(p, GATHER_INNER_BYTES);
  const indexBytes = load<i32>(p, GATHER_INDEX_BYTES);
  for (let b = 0; b < batches; b++) {
    for (let o = 0; o < outer; o++) {
      const base = params + <usize>((b * outer + o) * axisSize) * inner;
      for (let j = 0; j < count; j++) {
        const k = <usize>(b * count + j);
        const index: i64 = indexBytes == 8 ? load<i64>(indices + (k << 3)) : <i64>load<i32>(indices + (k << 2));
        if (index < 0 || index >= <i64>axisSize) return 1;
        memory.copy(out, base + <usize>index * inner, inner);
        out += inner;
      }
    }
  }
  return 0;
}

export function resize_nearest(p: usize): i32 {
  const input = load<usize>(p, RESIZE_NEAREST_INPUT);
  let out = load<usize>(p, RESIZE_NEAREST_OUTPUT);
  const rows = load<usize>(p, RESIZE_NEAREST_ROWS);
  const cols = load<usize>(p, RESIZE_NEAREST_COLS);
  const batches = load<i32>(p, RESIZE_NEAREST_BATCHES);
  const inH = load<i32>(p, RESIZE_NEAREST_IN_H);
  const inW = load<i32>(p, RESIZE_NEAREST_IN_W);
  const outH = load<i32>(p, RESIZE_NEAREST_OUT_H);
  const outW = load<i32>(p, RESIZE_NEAREST_OUT_W);
  const pixel = <usize>load<i32>(p, RESIZE_NEAREST_PIXEL_BYTES);
  for (let b = 0; b < batches; b++) {
    for (let y = 0; y < outH; y++) {
      const row = input + <usize>((b * inH + load<i32>(rows + (<usize>y << 2))) * inW) * pixel;
      for (let x = 0; x < outW; x++) {
        memory.copy(out, row + <usize>load<i32>(cols + (<usize>x << 2)) * pixel, pixel);
        out += pixel;
      }
    }
  }
  return 0;
}

/** reference_ops::ResizeBilinearInteger for int8 (double-rounding build: round half away). */
export function resize_bilinear(p: usize): i32 {
  const input = load<usize>(p, RESIZE_BILINEAR_INPUT);
  let out = load<usize>(p, RESIZE_BILINEAR_OUTPUT);
  const rows = load<usize>(p, RESIZE_BILINEAR_ROWS);
  const cols = load<usize>(p, RESIZE_BILINEAR_COLS);
  const batches = load<i32>(p, RESIZE_BILINEAR_BATCHES);
  const inH = load<i32>(p, RESIZE_BILINEAR_IN_H);
  const inW = load<i32>(p, RESIZE_BILINEAR_IN_W);
  const outH = load<i32>(p, RESIZE_BILINEAR_OUT_H);
  const outW = load<i32>(p, RESIZE_BILINEAR_OUT_W);
  const channels = load<i32>(p, RESIZE_BILINEAR_CHANNELS);
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>(b * inH * inW * channels);
    for (let y = 0; y < outH; y++) {
      const row = rows + <usize>(y * 12);
      const y0 = load<i32>(row);
      const y1 = load<i32>(row, 4);
      const dy = <i64>(load<i32>(row, 8) - (y0 << 10));
      for (let x = 0; x < outW; x++) {
        const col = cols + <usize>(x * 12);
        const x0 = load<i32>(col);
        const x1 = load<i32>(col, 4);
        const dx = <i64>(load<i32>(col, 8) - (x0 << 10));
        const ll = image + <usize>((y0 * inW + x0) * channels);
        const lu = image + <usize>((y1 * inW + x0) * channels);
        const rl = image + <usize>((y0 * inW + x1) * channels);
        const ru = image + <usize>((y1 * inW + x1) * channels);
        for (let c = 0; c < channels; c++) {
          const o = <usize>c;
          const sum: i64 =
            <i64>load<i8>(ll + o) * (1024 - dy) * (1024 - dx) + <i64>load<i8>(lu + o) * dy * (1024 - dx) +
            <i64>load<i8>(rl + o) * (1024 - dy) * dx + <i64>load<i8>(ru + o) * dy * dx;
          store<i8>(out, <i8>((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20)));
          out++;
        }
      }
    }
  }
  return 0;
}
