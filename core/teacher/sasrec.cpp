#include "core/teacher/sasrec.h"

#include <cmath>
#include <limits>

#include "core/teacher/fast_dropout.h"
#include "core/util/error.h"

namespace delrec::teacher {
namespace {

torch::nn::LayerNorm layer_norm(int64_t hidden) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(1e-8));
}

}  // namespace

SASRecBlockImpl::SASRecBlockImpl(const SASRecOptions& options_) : options(options_) { reset(); }

void SASRecBlockImpl::reset() {
  const int64_t d = options.hidden();
  attn_norm = register_module("attn_norm", layer_norm(d));
  ffn_norm = register_module("ffn_norm", layer_norm(d));
  q_proj = register_module("q_proj", torch::nn::Linear(d, d));
  kv_proj = register_module("kv_proj", torch::nn::Linear(d, 2 * d));
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
  ffn1 = register_module("ffn1", torch::nn::Linear(d, d));
  ffn2 = register_module("ffn2", torch::nn::Linear(d, d));
  torch::NoGradGuard no_grad;
  // As torch.nn.MultiheadAttention followed by the reference's xavier_normal_ pass: one (3D, D) in-projection
  // initialised as a whole (its fan decides the scale), zero in/out biases.
  auto in_proj = torch::empty({3 * d, d});
  torch::nn::init::xavier_normal_(in_proj);
  q_proj->weight.copy_(in_proj.slice(0, 0, d));
  kv_proj->weight.copy_(in_proj.slice(0, d, 3 * d));
  torch::nn::init::xavier_normal_(out_proj->weight);
  for (auto* bias : {&q_proj->bias, &kv_proj->bias, &out_proj->bias}) bias->zero_();
  // The reference's feed-forward is Conv1d(kernel 1): same fans as these Linear layers; its biases keep the default.
  torch::nn::init::xavier_normal_(ffn1->weight);
  torch::nn::init::xavier_normal_(ffn2->weight);
}

torch::Tensor SASRecBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask) {
  auto drop = [this](const torch::Tensor& t) { return fast_dropout(t, options.dropout(), is_training()); };
  const int64_t B = x.size(0), T = x.size(1), H = options.heads(), Dh = options.hidden() / H;
  auto q_in = attn_norm(x);                                                   // (B, T, D)
  auto q = q_proj(q_in).view({B, T, H, Dh}).transpose(1, 2);                 // (B, H, T, Dh)
  auto kv = kv_proj(x).view({B, T, 2, H, Dh}).permute({2, 0, 3, 1, 4});      // (2, B, H, T, Dh)
  // One fused kernel for scale, product and mask: scores = mask + (q k^T) / sqrt(Dh), the mask adding -inf where
  // a key is hidden (saves separate scaling and masking passes forward and backward).
  auto scores = torch::baddbmm(key_mask, q.reshape({B * H, T, Dh}), kv[0].reshape({B * H, T, Dh}).transpose(1, 2),
                               /*beta=*/1.0, /*alpha=*/1.0 / std::sqrt(double(Dh)));  // (B H, T, T)
  auto attn = drop(torch::softmax(scores, -1));                                      // (B H, T, T)
  auto context = torch::bmm(attn, kv[1].reshape({B * H, T, Dh})).view({B, H, T, Dh}).transpose(1, 2)
                     .reshape({B, T, H * Dh});
  auto h = ffn_norm(q_in + out_proj(context));
  return h + drop(ffn2(torch::relu(drop(ffn1(h)))));
}

SASRecImpl::SASRecImpl(const SASRecOptions& options_) : options(options_) {
  const int64_t d = options.hidden();
  item_emb = register_module(
      "item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(options.num_items() + 1, d).padding_idx(0)));
  pos_emb = register_module(
      "pos_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(options.max_len() + 1, d).padding_idx(0)));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.blocks(); ++i) blocks->push_back(SASRecBlock(options));
  last_norm = register_module("last_norm", layer_norm(d));
  torch::NoGradGuard no_grad;
  for (auto* emb : {&item_emb, &pos_emb}) {
    torch::nn::init::xavier_normal_((*emb)->weight);
    (*emb)->weight[0].zero_();
  }
}

torch::Tensor SASRecImpl::forward(const torch::Tensor& seqs) {
  const int64_t T = seqs.size(1), L = options.max_len();
  DELREC_CHECK(T <= L, "SASRec: sequence length {} exceeds teacher.max_len {}", T, L);
  auto keep = seqs.ne(0);                                                      // (B, T)
  // Positions L-T+1..L, so the newest item is at L whatever the padding; padding gets position 0 (a zero row).
  auto positions = torch::arange(L - T + 1, L + 1, seqs.options()).unsqueeze(0) * keep;
  auto x = item_emb(seqs) * std::sqrt(double(options.hidden())) + pos_emb(positions);  // (B, T, D)
  auto keep_f = keep.unsqueeze(-1).to(x.dtype());                             // (B, T, 1)
  x = fast_dropout(x, options.dropout(), is_training()) * keep_f;
  // A query at t sees keys <= t that are real items; its own position is always visible so padded rows stay finite.
  auto causal = torch::ones({T, T}, seqs.options().dtype(torch::kBool)).tril();
  auto diagonal = torch::eye(T, seqs.options().dtype(torch::kBool));
  auto allowed = causal.unsqueeze(0) & (keep.unsqueeze(1) | diagonal.unsqueeze(0));  // (B, T, T)
  // Additive mask, 0 where allowed and -inf where hidden, repeated for the heads: (B H, T, T).
  const int64_t H = options.heads();
  auto key_mask = torch::zeros({seqs.size(0), T, T}, x.options())
                      .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  if (H > 1) key_mask = key_mask.repeat_interleave(H, 0);
  for (const auto& block : *blocks) x = block->as<SASRecBlock>()->forward(x, key_mask) * keep_f;
  return last_norm(x);
}

}  // namespace delrec::teacher
