#include "core/llm/causal_lm.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/llm/checkpoint.h"
#include "core/llm/rope.h"
#include "core/util/error.h"
#include "parallel/mappings.h"

namespace delrec::llm {
namespace {

torch::Tensor read_full(const Checkpoint& ck, const std::string& name, at::IntArrayRef shape) {
  torch::Tensor t = ck.read(name);
  DELREC_CHECK(t.sizes() == shape, "checkpoint tensor '{}' has shape {}, the config implies {}", name,
               c10::str(t.sizes()), c10::str(shape));
  return t;
}

}  // namespace

RmsNormImpl::RmsNormImpl(int64_t dim, double eps, torch::TensorOptions options) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}, options));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps_);
  return weight * h.to(x.scalar_type());
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& c, std::shared_ptr<parallel::Communicator> tp,
                                   torch::TensorOptions options)
    : config_(c) {
  const int64_t n = tp->size(), r = tp->rank();
  local_heads_ = c.num_heads / n;
  local_kv_heads_ = std::max<int64_t>(1, c.num_kv_heads / n);
  const int64_t replicas = std::max<int64_t>(1, n / c.num_kv_heads);
  const int64_t q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const int64_t local_q = local_heads_ * c.head_dim, local_kv = local_kv_heads_ * c.head_dim;
  // Rank r's key/value heads start at head (r / replicas) * local_kv_heads.
  const int64_t kv_start = (r / replicas) * local_kv;
  auto column = [&](int64_t in, int64_t out, int64_t start, int64_t count, bool bias, int64_t reps) {
    return ProjectionSpec{true, in, out, bias, start, count, reps};
  };
  auto row = [&](int64_t in, int64_t out, bool bias) { return ProjectionSpec{false, in, out, bias, 0, 0, 1}; };
  const int64_t h = c.hidden_size, ff = c.intermediate_size, local_ff = ff / n;
  const std::vector<std::pair<std::string, ProjectionSpec>> specs = {
      {"self_attn.q_proj", column(h, q, r * local_q, local_q, c.attention_bias, 1)},
      {"self_attn.k_proj", column(h, kv, kv_start, local_kv, c.attention_bias, replicas)},
      {"self_attn.v_proj", column(h, kv, kv_start, local_kv, c.attention_bias, replicas)},
      {"self_attn.o_proj", row(q, h, c.o_bias)},
      {"mlp.gate_proj", column(h, ff, r * local_ff, local_ff, c.mlp_bias, 1)},
      {"mlp.up_proj", column(h, ff, r * local_ff, local_ff, c.mlp_bias, 1)},
      {"mlp.down_proj", row(ff, h, c.mlp_bias)},
  };
  for (const auto& [name, spec] : specs) {
    std::string module_name = name;
    std::replace(module_name.begin(), module_name.end(), '.', '_');  // module names may not contain dots
    projections.emplace_back(name, register_module(module_name, Projection(spec, tp, options.dtype().toScalarType(),
                                                                           options.device())));
  }
  input_norm = register_module("input_layernorm", RmsNorm(h, c.rms_norm_eps, options));
  post_attention_norm = register_module("post_attention_layernorm", RmsNorm(h, c.rms_norm_eps, options));
}

Projection& DecoderLayerImpl::proj(const std::string& name) {
  for (auto& p : projections)
    if (p.first == name) return p.second;
  throw Error("no projection " + name);
}

torch::Tensor DecoderLayerImpl::attention(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const torch::Tensor& past_key, const torch::Tensor& past_value,
                                          torch::Tensor* key, torch::Tensor* value, const torch::Tensor& allowed,
                                          const std::vector<int64_t>& lengths) {
  const int64_t B = x.size(0), S = x.size(1), d = config_.head_dim;
  // (B, S, heads * d) -> (B, heads, S, d)
  auto heads = [&](const torch::Tensor& t, int64_t n) { return t.view({B, S, n, d}).transpose(1, 2); };
  torch::Tensor q = apply_rope(heads(proj("self_attn.q_proj")->forward(x), local_heads_), cos, sin);
  torch::Tensor k = apply_rope(heads(proj("self_attn.k_proj")->forward(x), local_kv_heads_), cos, sin);
  torch::Tensor v = heads(proj("self_attn.v_proj")->forward(x), local_kv_heads_);
  const int64_t P = past_key.defined() ? past_key.size(2) : 0;
  if (P > 0) {  // (B or 1, kv, P, d) ; (B, kv, S, d) -> (B, kv, P + S, d); no copy per row where B is 1 (packed)
    k = torch::cat({past_key.expand({B, -1, -1, -1}), k}, 2);
    v = torch::cat({past_value.expand({B, -1, -1, -1}), v}, 2);
  }
  if (key) *key = k;
  if (value) *value = v;
  // Grouped-query attention: each key/value head serves local_heads / local_kv_heads consecutive query heads.
  // SDPA reads the shared heads itself (enable_gqa) instead of (heads, P + S, d) copies of k and v, in forward
  // and in backward.
  const bool gqa = local_heads_ != local_kv_heads_;
  // (S, P + S), true where a key is in the future: new position i (absolute P + i) sees keys 0..P + i.
  auto future = [&] {
    return torch::ones({S, P + S}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(P + 1);
  };
  torch::Tensor out;  // (B, heads, S, d)
  if (lengths.size() > 1) {
    // Independent sequences: each attends causally to itself; one SDPA each instead of an (S, S) mask that
    // would make attention cost the square of the whole row.
    const std::vector<torch::Tensor> qs = q.split_with_sizes(lengths, 2), ks = k.split_with_sizes(lengths, 2),
                                     vs = v.split_with_sizes(lengths, 2);
    std::vector<torch::Tensor> parts;
    parts.reserve(lengths.size());
    for (size_t i = 0; i < lengths.size(); ++i)
      parts.push_back(at::scaled_dot_product_attention(qs[i], ks[i], vs[i], /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                                       /*is_causal=*/true, /*scale=*/std::nullopt, gqa));
    out = torch::cat(parts, 2);
  } else if (allowed.defined())
    out = at::scaled_dot_product_attention(q, k, v, allowed, /*dropout_p=*/0.0, /*is_causal=*/false,
                                           /*scale=*/std::nullopt, gqa);
  else if (P == 0)
    out = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, /*is_causal=*/true,
                                           /*scale=*/std::nullopt, gqa);
  else  // a boolean mask is true where attention is allowed
    out = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/future().logical_not(), /*dropout_p=*/0.0,
                                           /*is_causal=*/false, /*scale=*/std::nullopt, gqa);
  return proj("self_attn.o_proj")->forward(out.transpose(1, 2).reshape({B, S, local_heads_ * d}));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                        const torch::Tensor& past_key, const torch::Tensor& past_value,
                                        torch::Tensor* key, torch::Tensor* value, const torch::Tensor& allowed,
                                        const std::vector<int64_t>& lengths) {
  if (recompute_ != Recompute::kFull || !torch::GradMode::is_enabled())
    return layer(x, cos, sin, past_key, past_value, key, value, allowed, lengths);
  // Only x (and the past keys/values) stay until backward; the keys/values asked for are outputs of the segment.
  const bool keep_kv = key != nullptr || value != nullptr;
  auto outputs = recomputed(
      [this, cos, sin, allowed, lengths, keep_kv](const std::vector<torch::Tensor>& in) {
        torch::Tensor k, v;
        torch::Tensor out =
            layer(in[0], cos, sin, in[1], in[2], keep_kv ? &k : nullptr, keep_kv ? &v : nullptr, allowed, lengths);
        return keep_kv ? std::vector<torch::Tensor>{out, k, v} : std::vector<torch::Tensor>{out};
      },
      {x, past_key, past_value});
  if (key) *key = outputs[1];
  if (value) *value = outputs[2];
  return outputs[0];
}

torch::Tensor DecoderLayerImpl::layer(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                      const torch::Tensor& past_key, const torch::Tensor& past_value,
                                      torch::Tensor* key, torch::Tensor* value, const torch::Tensor& allowed,
                                      const std::vector<int64_t>& lengths) {
  torch::Tensor h =
      x + attention(input_norm->forward(x), cos, sin, past_key, past_value, key, value, allowed, lengths);
  if (recompute_ != Recompute::kSelective || !torch::GradMode::is_enabled()) return mlp_block(h);
  return recomputed([this](const std::vector<torch::Tensor>& in) { return std::vector<torch::Tensor>{mlp_block(in[0])}; },
                    {h})[0];
}

torch::Tensor DecoderLayerImpl::mlp_block(const torch::Tensor& h) {
  torch::Tensor n = post_attention_norm->forward(h);
  torch::Tensor act = torch::silu(proj("mlp.gate_proj")->forward(n)) * proj("mlp.up_proj")->forward(n);
  return h + proj("mlp.down_proj")->forward(act);
}

void DecoderLayerImpl::load(const Checkpoint& ck, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : projections) p->load(ck, prefix + name);
  input_norm->weight.copy_(read_full(ck, prefix + "input_layernorm.weight", {config_.hidden_size}));
  post_attention_norm->weight.copy_(read_full(ck, prefix + "post_attention_layernorm.weight", {config_.hidden_size}));
}

CausalLmImpl::CausalLmImpl(const ModelConfig& config, std::shared_ptr<parallel::Communicator> tp, torch::Dtype dtype,
                           torch::Device device)
    : config_(config), tp_(std::move(tp)), options_(torch::TensorOptions().dtype(dtype).device(device)) {
  const std::string split_error = config_.tp_split_error(tp_->size());
  DELREC_CHECK(split_error.empty(), "{}", split_error);
  embed_tokens_ = register_module(
      "embed_tokens", parallel::VocabParallelEmbedding(
                          parallel::VocabParallelEmbeddingOptions(config_.vocab_size, config_.hidden_size)
                              .dtype(dtype)
                              .device(device),
                          tp_));
  for (int64_t i = 0; i < config_.num_layers; ++i)
    layers_.push_back(register_module("layer_" + std::to_string(i), DecoderLayer(config_, tp_, options_)));
  norm_ = register_module("norm", RmsNorm(config_.hidden_size, config_.rms_norm_eps, options_));
  if (!config_.tie_word_embeddings) {
    parallel::ParallelLinearOptions o(config_.hidden_size, config_.vocab_size);
    lm_head_ = register_module("lm_head", parallel::ColumnParallelLinear(o.bias(false).dtype(dtype).device(device), tp_));
  }
  for (auto& p : parameters()) p.requires_grad_(false);  // the base model is frozen
}

void CausalLmImpl::load(const std::filesystem::path& dir) {
  torch::NoGradGuard no_grad;
  Checkpoint ck(dir);
  const int64_t local_vocab = config_.vocab_size / tp_->size();
  const std::string embed = "model.embed_tokens.weight";
  DELREC_CHECK(ck.info(embed).shape == (std::vector<int64_t>{config_.vocab_size, config_.hidden_size}),
               "{}: '{}' does not have shape [vocab_size, hidden_size]", dir.string(), embed);
  embed_tokens_->weight().copy_(ck.read_slice(embed, 0, tp_->rank() * local_vocab, local_vocab));
  for (int64_t i = 0; i < config_.num_layers; ++i)
    layers_[i]->load(ck, "model.layers." + std::to_string(i) + ".");
  norm_->weight.copy_(read_full(ck, "model.norm.weight", {config_.hidden_size}));
  if (lm_head_) {
    DELREC_CHECK(ck.contains("lm_head.weight"), "{}: no 'lm_head.weight' although tie_word_embeddings is false",
                 dir.string());
    // copy_ broadcasts: a [vocab_size, 1] head would load as a wrong model without this check.
    DELREC_CHECK(ck.info("lm_head.weight").shape == (std::vector<int64_t>{config_.vocab_size, config_.hidden_size}),
                 "{}: 'lm_head.weight' has shape [{}], not [vocab_size, hidden_size] = [{}, {}]; the checkpoint does "
                 "not match its config.json", dir.string(), fmt::join(ck.info("lm_head.weight").shape, ", "),
                 config_.vocab_size, config_.hidden_size);
    lm_head_->weight().copy_(ck.read_slice("lm_head.weight", 0, tp_->rank() * local_vocab, local_vocab));
  }
}

void CausalLmImpl::set_recompute(Recompute recompute) {
  recompute_ = recompute;
  for (auto& layer : layers_) layer->set_recompute(recompute);
}

torch::Tensor CausalLmImpl::embed(const torch::Tensor& ids) { return embed_tokens_->forward(ids); }

torch::Tensor CausalLmImpl::forward_embeddings(const torch::Tensor& embeddings, const KvCache* past,
                                               KvCache* present, int64_t last_positions, const Packing* packing) {
  DELREC_CHECK(embeddings.dim() == 3 && embeddings.size(2) == config_.hidden_size,
               "input embeddings of shape {} must be (batch, positions, hidden_size {})",
               c10::str(embeddings.sizes()), config_.hidden_size);
  const int64_t B = embeddings.size(0), S = embeddings.size(1), P = past ? past->length() : 0;
  if (past) {
    DELREC_CHECK(past->keys.size() == layers_.size() && past->values.size() == layers_.size(),
                 "key/value cache has {} keys and {} values for a model of {} layers", past->keys.size(),
                 past->values.size(), layers_.size());
    const int64_t past_batch = past->keys.front().size(0);
    DELREC_CHECK(past_batch == 1 || past_batch == B,
                 "key/value cache of batch {} cannot be continued by a batch of {} (it must be 1 or {})", past_batch,
                 B, B);
  }
  torch::Tensor cos, sin, allowed;
  if (packing) {
    DELREC_CHECK(B == 1 && !present && packing->positions.dim() == 1 && packing->positions.size(0) == S &&
                     packing->segments.dim() == 1 && packing->segments.size(0) == S,
                 "packed sequences need a batch of 1, no present cache, and positions and segments of length {}", S);
    const torch::Tensor positions = packing->positions.to(options_.device());
    const int64_t longest = positions.max().item<int64_t>() + 1;
    DELREC_CHECK(config_.sliding_window == 0 || longest <= config_.sliding_window,
                 "sequence of {} positions exceeds the sliding window ({}), which delrec does not implement", longest,
                 config_.sliding_window);
    std::tie(cos, sin) = rope_tables(config_, longest, options_.dtype().toScalarType(), options_.device());
    cos = cos.index_select(0, positions);  // (S, head_dim): each position its own row
    sin = sin.index_select(0, positions);
    // (S, P + S): every past key, and the earlier positions of the same sequence.
    const torch::Tensor seg = packing->segments.to(options_.device());
    const torch::Tensor own = seg.unsqueeze(1).eq(seg.unsqueeze(0)) &
                              torch::ones({S, S}, seg.options().dtype(torch::kBool)).tril();
    allowed = torch::cat({torch::ones({S, P}, own.options()), own}, 1);
  } else {
    DELREC_CHECK(config_.sliding_window == 0 || P + S <= config_.sliding_window,
                 "sequence of {} positions exceeds the sliding window ({}), which delrec does not implement", P + S,
                 config_.sliding_window);
    // Tables for positions 0..P+S-1, of which the new positions use the last S.
    std::tie(cos, sin) = rope_tables(config_, P + S, options_.dtype().toScalarType(), options_.device());
    cos = cos.narrow(0, P, S);
    sin = sin.narrow(0, P, S);
  }
  if (present) {
    present->keys.assign(layers_.size(), {});
    present->values.assign(layers_.size(), {});
  }
  torch::Tensor h = embeddings;
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i]->forward(h, cos, sin, past ? past->keys[i] : torch::Tensor(),
                            past ? past->values[i] : torch::Tensor(), present ? &present->keys[i] : nullptr,
                            present ? &present->values[i] : nullptr, allowed);
  }
  if (last_positions > 0) h = h.narrow(1, S - std::min(S, last_positions), std::min(S, last_positions));
  return head(h);
}

torch::Tensor CausalLmImpl::forward_packed(const torch::Tensor& embeddings, const std::vector<int64_t>& lengths,
                                           const torch::Tensor& read) {
  DELREC_CHECK(embeddings.dim() == 3 && embeddings.size(0) == 1 && embeddings.size(2) == config_.hidden_size,
               "packed embeddings of shape {} must be (1, positions, hidden_size {})", c10::str(embeddings.sizes()),
               config_.hidden_size);
  const int64_t S = embeddings.size(1);
  DELREC_CHECK(!lengths.empty(), "packed sequences: no sequence lengths given");
  int64_t total = 0, longest = 0;
  std::vector<int64_t> positions;
  positions.reserve(static_cast<size_t>(S));
  for (int64_t n : lengths) {
    DELREC_CHECK(n > 0, "packed sequences: a sequence of length {} (each needs at least one position)", n);
    total += n;
    longest = std::max(longest, n);
    for (int64_t j = 0; j < n; ++j) positions.push_back(j);
  }
  DELREC_CHECK(total == S, "packed sequences: lengths [{}] add up to {}, the row has {} positions",
               fmt::join(lengths, ", "), total, S);
  DELREC_CHECK(read.dim() == 1 && read.scalar_type() == torch::kInt64,
               "packed sequences: the positions to read must be 1-D int64, got shape {}", c10::str(read.sizes()));
  DELREC_CHECK(config_.sliding_window == 0 || longest <= config_.sliding_window,
               "sequence of {} positions exceeds the sliding window ({}), which delrec does not implement", longest,
               config_.sliding_window);
  auto [cos, sin] = rope_tables(config_, longest, options_.dtype().toScalarType(), options_.device());
  const torch::Tensor pos = torch::tensor(positions, torch::kInt64).to(options_.device());
  cos = cos.index_select(0, pos);  // (S, head_dim): each position its own row
  sin = sin.index_select(0, pos);
  torch::Tensor h = embeddings;
  for (auto& layer : layers_) h = layer->forward(h, cos, sin, {}, {}, nullptr, nullptr, {}, lengths);
  return head(h.index_select(1, read.to(options_.device())));  // (1, K, V/tp)
}

torch::Tensor CausalLmImpl::head(const torch::Tensor& hidden) {
  torch::Tensor h = norm_->forward(hidden);
  if (lm_head_) return lm_head_->forward(h);  // (B, S, V/tp)
  // Tied head: this rank's embedding rows are its vocabulary slice of the output projection.
  return torch::matmul(parallel::copy_to_tp_region(h, tp_), embed_tokens_->weight().t());
}

torch::Tensor CausalLmImpl::forward(const torch::Tensor& ids, const torch::Tensor& soft_prompt) {
  torch::Tensor x = embed(ids);  // (B, T, hidden)
  if (soft_prompt.defined()) {
    torch::Tensor soft = soft_prompt.dim() == 2 ? soft_prompt.unsqueeze(0).expand({x.size(0), -1, -1}) : soft_prompt;
    DELREC_CHECK(soft.dim() == 3 && soft.size(0) == x.size(0) && soft.size(2) == config_.hidden_size,
                 "soft prompt of shape {} does not fit a batch of {} with hidden size {}", c10::str(soft_prompt.sizes()),
                 x.size(0), config_.hidden_size);
    x = torch::cat({soft.to(x.scalar_type()), x}, 1);  // (B, n + T, hidden), positions 0..n+T-1
  }
  return forward_embeddings(x);
}

CausalLm load_causal_lm(const std::filesystem::path& dir, std::shared_ptr<parallel::Communicator> tp,
                        torch::Dtype dtype, torch::Device device) {
  CausalLm model(load_model_config(dir / "config.json"), std::move(tp), dtype, device);
  model->load(dir);
  return model;
}

}  // namespace delrec::llm
