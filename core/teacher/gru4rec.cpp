#include "core/teacher/gru4rec.h"

#include <vector>

namespace delrec::teacher {

GRU4RecImpl::GRU4RecImpl(const GRU4RecOptions& options_) : options(options_) {
  const int64_t d = options.hidden();
  item_emb = register_module(
      "item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(options.num_items() + 1, d).padding_idx(0)));
  cells = register_module("cells", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.layers(); ++i) cells->push_back(torch::nn::GRUCell(d, d));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_normal_(item_emb->weight);
  item_emb->weight[0].zero_();
}

torch::Tensor GRU4RecImpl::forward(const torch::Tensor& seqs) {
  const int64_t B = seqs.size(0), T = seqs.size(1), d = options.hidden();
  auto x = dropout(item_emb(seqs));                                  // (B, T, D)
  auto keep = seqs.ne(0).unsqueeze(-1).to(x.dtype());                // (B, T, 1)
  for (size_t layer = 0; layer < cells->size(); ++layer) {
    auto cell = cells[layer]->as<torch::nn::GRUCell>();
    auto h = torch::zeros({B, d}, x.options());
    std::vector<torch::Tensor> states;
    states.reserve(T);
    for (int64_t t = 0; t < T; ++t) {
      auto m = keep.select(1, t);                                    // (B, 1): 0 over left padding keeps h at 0
      h = cell->forward(x.select(1, t), h) * m;
      states.push_back(h);
    }
    x = torch::stack(states, 1);                                     // (B, T, D)
    if (layer + 1 < cells->size()) x = dropout(x);
  }
  return x;
}

}  // namespace delrec::teacher
