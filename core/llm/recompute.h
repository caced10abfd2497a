#pragma once
// Activation recomputation (activation checkpointing): a segment of the forward pass runs without autograd, keeping
// only its inputs; its backward reruns the segment with autograd on and backpropagates through the rerun. Memory
// for the segment's intermediate activations is traded for one more forward of it in backward.
//
// The rerun is exact: the random-number generator of the inputs' device is put back to its state at the original
// forward (LoRA dropout draws the same masks), and tensor-parallel collectives inside the segment run again in the
// same order on every rank (each rank recomputes the same segments in the same backward order).
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace delrec::llm {

// backbone.recompute: what each decoder layer recomputes in backward.
//   none       keep every activation (fastest, most memory)
//   full       the whole layer: only its input is kept, (B, S, hidden) per layer
//   selective  the MLP block (post-attention norm, gate/up, SwiGLU, down): for Llama shapes most of a layer's
//              activations (three of intermediate_size per token against ~2 hidden + q + 2 kv for attention), at
//              the cost of the MLP's forward GEMMs once more
enum class Recompute { kNone, kFull, kSelective };
Recompute parse_recompute(const std::string& name);  // throws naming the choices
const char* recompute_name(Recompute r);

// Tensors in, tensors out: one segment of the forward pass.
using Segment = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>& inputs)>;

// fn(inputs), recomputed in backward. Undefined inputs are passed through as undefined. When grad mode is off (no
// backward will run) it is fn(inputs) plainly. Gradients reach the inputs that require them and every parameter
// the segment uses (accumulated into .grad as a plain backward would).
std::vector<torch::Tensor> recomputed(const Segment& fn, const std::vector<torch::Tensor>& inputs);

}  // namespace delrec::llm
