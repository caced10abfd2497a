#include "core/llm/model_config.h"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

using nlohmann::json;

namespace delrec::llm {
namespace {

// Typed access to a config key, with messages naming the source and key.
class Reader {
 public:
  Reader(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  bool has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }

  int64_t positive_int(const std::string& key) const {
    DELREC_CHECK(has(key), "{}: missing \"{}\"", source_, key);
    DELREC_CHECK(j_[key].is_number_integer() && j_[key].get<int64_t>() > 0, "{}: \"{}\" must be a positive integer, "
                 "got {}", source_, key, json_excerpt(j_[key]));
    return j_[key].get<int64_t>();
  }
  double number(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    DELREC_CHECK(j_[key].is_number(), "{}: \"{}\" must be a number, got {}", source_, key, json_excerpt(j_[key]));
    return j_[key].get<double>();
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    DELREC_CHECK(j_[key].is_boolean(), "{}: \"{}\" must be true or false, got {}", source_, key, json_excerpt(j_[key]));
    return j_[key].get<bool>();
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    DELREC_CHECK(j_[key].is_string(), "{}: \"{}\" must be a string, got {}", source_, key, json_excerpt(j_[key]));
    return j_[key].get<std::string>();
  }

 private:
  const json& j_;
  std::string source_;
};

// Reads the rope block: "rope_parameters" (newer transformers) or "rope_scaling" (older), whose type key is
// "rope_type" or "type".
RopeScaling parse_rope(const json& block, const std::string& where, int64_t max_positions) {
  Reader r(block, where);
  RopeScaling s;
  s.type = r.string("rope_type", r.string("type", "default"));
  DELREC_CHECK(s.type == "default" || s.type == "linear" || s.type == "dynamic" || s.type == "llama3",
               "{}: rope type \"{}\" is not supported (supported: default, linear, dynamic, llama3)", where, s.type);
  s.factor = r.number("factor", 1.0);
  s.low_freq_factor = r.number("low_freq_factor", 1.0);
  s.high_freq_factor = r.number("high_freq_factor", 4.0);
  s.original_max_position =
      r.has("original_max_position_embeddings") ? r.positive_int("original_max_position_embeddings") : max_positions;
  if (s.type != "default") DELREC_CHECK(s.factor > 0, "{}: rope \"factor\" must be positive", where);
  if (s.type == "llama3")
    DELREC_CHECK(s.high_freq_factor > s.low_freq_factor, "{}: llama3 rope needs high_freq_factor > low_freq_factor",
                 where);
  return s;
}

}  // namespace

int64_t ModelConfig::num_parameters() const {
  const int64_t q = num_heads * head_dim, kv = num_kv_heads * head_dim;
  int64_t attn = hidden_size * q + 2 * hidden_size * kv + q * hidden_size;
  if (attention_bias) attn += q + 2 * kv;
  if (o_bias) attn += hidden_size;
  int64_t mlp = 3 * hidden_size * intermediate_size;
  if (mlp_bias) mlp += 2 * intermediate_size + hidden_size;
  const int64_t layer = attn + mlp + 2 * hidden_size;
  const int64_t embed = vocab_size * hidden_size;
  return num_layers * layer + hidden_size + embed * (tie_word_embeddings ? 1 : 2);
}

int64_t ModelConfig::num_parameters_per_rank(int64_t tp) const {
  const int64_t h = hidden_size, d = head_dim;
  const int64_t q = num_heads * d / tp, kv = std::max<int64_t>(1, num_kv_heads / tp) * d;
  int64_t layer = h * q + 2 * h * kv + q * h + 3 * h * intermediate_size / tp + 2 * h;
  if (attention_bias) layer += q + 2 * kv;
  if (o_bias) layer += h;
  if (mlp_bias) layer += 2 * intermediate_size / tp + h;
  const int64_t embed = vocab_size / tp * h;
  return num_layers * layer + h + embed * (tie_word_embeddings ? 1 : 2);
}

std::string ModelConfig::tp_split_error(int64_t tp) const {
  std::string why;
  auto fails = [&](bool ok, std::string what) {
    if (!ok) why += (why.empty() ? "" : "; ") + what;
  };
  fails(num_heads % tp == 0, fmt::format("tp({}) must divide num_attention_heads({})", tp, num_heads));
  fails(num_kv_heads % tp == 0 || tp % num_kv_heads == 0,
        fmt::format("tp({}) must divide num_key_value_heads({}) or be a multiple of it", tp, num_kv_heads));
  fails(intermediate_size % tp == 0, fmt::format("tp({}) must divide intermediate_size({})", tp, intermediate_size));
  fails(vocab_size % tp == 0, fmt::format("tp({}) must divide vocab_size({})", tp, vocab_size));
  return why;
}

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  const json j = parse_json(json_text, source);
  DELREC_CHECK(j.is_object(), "{}: expected a JSON object", source);
  Reader r(j, source);
  ModelConfig c;
  c.model_type = r.string("model_type", "");
  DELREC_CHECK(c.model_type == "llama" || c.model_type == "mistral" || c.model_type == "qwen2",
               "{}: model_type \"{}\" is not supported (supported: llama, mistral, qwen2)", source, c.model_type);
  c.vocab_size = r.positive_int("vocab_size");
  c.hidden_size = r.positive_int("hidden_size");
  c.intermediate_size = r.positive_int("intermediate_size");
  c.num_layers = r.positive_int("num_hidden_layers");
  c.num_heads = r.positive_int("num_attention_heads");
  c.num_kv_heads = r.has("num_key_value_heads") ? r.positive_int("num_key_value_heads") : c.num_heads;
  DELREC_CHECK(c.num_heads % c.num_kv_heads == 0, "{}: num_attention_heads ({}) must be a multiple of "
               "num_key_value_heads ({})", source, c.num_heads, c.num_kv_heads);
  c.head_dim = r.has("head_dim") ? r.positive_int("head_dim") : c.hidden_size / c.num_heads;
  DELREC_CHECK(r.has("head_dim") || c.hidden_size % c.num_heads == 0, "{}: hidden_size ({}) is not divisible by "
               "num_attention_heads ({}) and no head_dim is given", source, c.hidden_size, c.num_heads);
  DELREC_CHECK(c.head_dim % 2 == 0, "{}: head_dim ({}) must be even for rotary embeddings", source, c.head_dim);
  c.max_position_embeddings = r.has("max_position_embeddings") ? r.positive_int("max_position_embeddings") : 4096;
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  DELREC_CHECK(c.rms_norm_eps > 0, "{}: \"rms_norm_eps\" must be positive, got {} (RMSNorm would divide by zero on "
               "an all-zero row)", source, c.rms_norm_eps);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", c.model_type == "qwen2");
  c.mlp_bias = r.boolean("mlp_bias", false);
  if (c.model_type == "qwen2") {
    c.attention_bias = true;  // Qwen2 always has q/k/v biases and no o bias
  } else {
    c.attention_bias = r.boolean("attention_bias", false);
    c.o_bias = c.attention_bias;
  }
  c.torch_dtype = r.string("torch_dtype", r.string("dtype", "float32"));

  // Newer transformers write "rope_parameters" (theta inside); older and most published checkpoints write a
  // top-level "rope_theta" and an optional "rope_scaling". The newer block wins when both are present.
  if (r.has("rope_parameters")) {
    const json& rp = j["rope_parameters"];
    DELREC_CHECK(rp.is_object(), "{}: \"rope_parameters\" must be an object", source);
    c.rope_scaling = parse_rope(rp, source + ": rope_parameters", c.max_position_embeddings);
    c.rope_theta = Reader(rp, source + ": rope_parameters").number("rope_theta", r.number("rope_theta", 10000.0));
  } else {
    c.rope_theta = r.number("rope_theta", 10000.0);
    if (r.has("rope_scaling")) {
      DELREC_CHECK(j["rope_scaling"].is_object(), "{}: \"rope_scaling\" must be an object or null", source);
      c.rope_scaling = parse_rope(j["rope_scaling"], source + ": rope_scaling", c.max_position_embeddings);
    }
  }
  DELREC_CHECK(c.rope_theta > 0, "{}: rope_theta must be positive", source);
  // Dynamic NTK scaling raises the base to head_dim / (head_dim - 2).
  DELREC_CHECK(c.rope_scaling.type != "dynamic" || c.head_dim > 2, "{}: head_dim 2 cannot use \"dynamic\" rope "
               "scaling (its exponent head_dim / (head_dim - 2) divides by zero)", source);
  // Sliding-window attention equals full attention for sequences no longer than the window; the model refuses
  // longer ones rather than silently differ.
  const bool sliding = c.model_type == "qwen2" ? r.boolean("use_sliding_window", false) : c.model_type == "mistral";
  if (sliding && r.has("sliding_window")) c.sliding_window = r.positive_int("sliding_window");
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& config_json) {
  return parse_model_config(read_file(config_json), config_json.string());
}

}  // namespace delrec::llm
