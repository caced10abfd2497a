#pragma once
// Dropout with a cheaper mask, for the CPU training of the teachers.
//
// LibTorch without MKL draws dropout masks with one serial generator call per element (bernoulli_), which made
// dropout 40% of a SASRec epoch on ML-100K (its (B, H, T, T) attention weights are the largest tensor). Here one
// 64-bit draw yields 7 random bytes, and an element is dropped when its byte is below round(p * 256): the drop
// probability is p rounded to a multiple of 1/256 (0.2 -> 51/256 = 0.199), kept elements are scaled by
// 1 / (1 - that probability) so the expectation is unchanged, as in inverted dropout.
#include <torch/torch.h>

namespace delrec::teacher {

// x unchanged when !training or p == 0; otherwise the dropped-out copy (gradients flow through the kept entries).
torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training);

}  // namespace delrec::teacher
