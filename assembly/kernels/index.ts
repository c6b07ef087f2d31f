// Entry of the SIMD module (built with --enable simd). SIMD kernels live in this folder next to
// their scalar twins in ../ref; ops without a SIMD kernel yet export the scalar twin. The `_ref`
// exports are the twins of kernels whose fast path does not take every call: the host runs those
// calls on the twin (host/ops/types.ts KernelCall.scalar).
export { conv_2d_ref, conv_2d_pairs_ref } from '../ref/conv_2d';
export { depthwise_conv_2d_ref } from '../ref/depthwise_conv_2d';
export { fully_connected_ref } from '../ref/fully_connected';
export { sparse_fully_connected_ref } from '../ref/sparse_fully_connected';
export { conv_2d, conv_2d_pairs, conv_2d_pairs_unrolled } from './conv_2d';
export { conv_2d_winograd } from './conv_2d_winograd';
export { depthwise_conv_2d } from './depthwise_conv_2d';
export { fully_connected } from './fully_connected';
export { average_pool_2d, max_pool_2d } from './pooling';
export { binary } from './binary';
export { softmax } from './softmax';
export { quantize_f32, requantize, dequantize, add_n_f32 } from '../ref/quantize';
export { gather, resize_bilinear, resize_nearest, strided_copy } from '../ref/data_movement';
export { lut8 } from '../ref/lut';
export { reduce } from '../ref/reduce';
export { transpose_conv } from '../ref/transpose_conv';
export { conv_2d_16x8, fully_connected_16x8 } from '../ref/int16x8';
export { lstm_8x8_16, lstm_activation } from './lstm';
export { sparse_fully_connected } from './sparse_fully_connected';
export { sparse_conv_1x1 } from './sparse_conv_1x1';
export { dsp_window, dsp_power, dsp_filterbank, dsp_stats } from '../ref/dsp';
export { dsp_fft, dsp_rfft, dsp_envelope, dsp_features } from './dsp';
export { pm_quantize } from '../ref/pm';
