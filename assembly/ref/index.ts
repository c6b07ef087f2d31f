// Entry of the scalar reference module: every kernel, 1:1 with TFLite's reference loops.
export { conv_2d_ref as conv_2d, conv_2d_pairs_ref as conv_2d_pairs, conv_2d_winograd_ref as conv_2d_winograd } from './conv_2d';
export { depthwise_conv_2d_ref as depthwise_conv_2d } from './depthwise_conv_2d';
export { fully_connected_ref as fully_connected } from './fully_connected';
export { average_pool_2d, max_pool_2d } from './pooling';
export { binary_ref as binary } from './binary';
export { softmax_ref as softmax } from './softmax';
export { quantize_f32, requantize, dequantize, add_n_f32 } from './quantize';
export { gather, resize_bilinear, resize_nearest, strided_copy } from './data_movement';
export { lut8 } from './lut';
export { reduce } from './reduce';
export { transpose_conv } from './transpose_conv';
export { conv_2d_16x8, fully_connected_16x8 } from './int16x8';
export { lstm_8x8_16_ref as lstm_8x8_16, lstm_activation_ref as lstm_activation } from './lstm';
export { sparse_fully_connected_ref as sparse_fully_connected, sparse_fully_connected_ref as sparse_conv_1x1 } from './sparse_fully_connected';
export { dsp_window, dsp_fft_ref as dsp_fft, dsp_rfft_ref as dsp_rfft, dsp_power, dsp_filterbank, dsp_stats, dsp_envelope_ref as dsp_envelope, dsp_features_ref as dsp_features } from './dsp';
export { pm_quantize } from './pm';
