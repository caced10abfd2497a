#include "core/teacher/caser.h"

#include <vector>

namespace delrec::teacher {

CaserImpl::CaserImpl(const CaserOptions& options_) : options(options_) {
  const int64_t d = options.hidden(), L = options.window(), n = options.num_items() + 1;
  item_emb = register_module("item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(n, d).padding_idx(0)));
  out_items = register_module("out_items", torch::nn::Embedding(n, d));
  out_bias = register_module("out_bias", torch::nn::Embedding(n, 1));
  conv_v = register_module("conv_v", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, options.vertical(), {L, 1})));
  conv_h = register_module("conv_h", torch::nn::ModuleList());
  for (int64_t h = 1; h <= L; ++h)
    conv_h->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, options.horizontal(), {h, d})));
  fc = register_module("fc", torch::nn::Linear(options.vertical() * d + options.horizontal() * L, d));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
  // The reference initialisation: N(0, 1/d) embeddings, N(0, 1/(2d)) output table (there d + user d), zero bias.
  torch::NoGradGuard no_grad;
  item_emb->weight.normal_(0, 1.0 / d);
  item_emb->weight[0].zero_();
  out_items->weight.normal_(0, 1.0 / (2.0 * d));
  out_bias->weight.zero_();
}

torch::Tensor CaserImpl::forward(const torch::Tensor& seqs) {
  const int64_t B = seqs.size(0), T = seqs.size(1), d = options.hidden(), L = options.window();
  // windows[b, t] = seqs[b, t-L+1 .. t], padded with item 0 before the start.
  auto padded = torch::constant_pad_nd(seqs, {L - 1, 0}, 0);               // (B, T + L - 1)
  auto windows = padded.unfold(1, L, 1).reshape({B * T, L});                // (B*T, L)
  auto e = item_emb(windows).unsqueeze(1);                                  // (B*T, 1, L, d)
  auto out_v = conv_v(e).reshape({B * T, options.vertical() * d});          // (B*T, n_v * d)
  std::vector<torch::Tensor> parts{out_v};
  for (const auto& module : *conv_h) {
    auto c = torch::relu(module->as<torch::nn::Conv2d>()->forward(e).squeeze(3));  // (B*T, n_h, L - h + 1)
    parts.push_back(std::get<0>(c.max(2)));                                         // (B*T, n_h)
  }
  auto z = torch::relu(fc(dropout(torch::cat(parts, 1))));                  // (B*T, d)
  return z.view({B, T, d});
}

}  // namespace delrec::teacher
