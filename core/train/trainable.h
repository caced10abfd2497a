#pragma once
// A trainable tensor as the training loop and its checkpoints see it: this rank's piece, and how the full tensor
// is split over the TP group, so the global gradient norm counts each slice once and a checkpoint can be
// resharded onto another TP size.
#include <torch/torch.h>

#include <string>

namespace delrec::train {

struct TrainableTensor {
  std::string name;        // unique and stable across runs (it names the tensor in checkpoints)
  torch::Tensor tensor;    // this rank's piece (requires_grad)
  int64_t split_dim = -1;  // the dimension split over the TP group; -1 = replicated on every TP rank
  int64_t holders = 1;     // TP ranks holding the same slice (> 1 for key/value heads replicated under TP)
};

}  // namespace delrec::train
