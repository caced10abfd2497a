#pragma once
// The architecture of a Hugging Face decoder checkpoint, read from its config.json. Llama, Mistral and Qwen2 share
// one shape (RMSNorm, rotary embeddings, grouped-query attention, SwiGLU); they differ in the fields below.
#include <filesystem>
#include <string>

namespace delrec::llm {

// Rotary embedding frequency scaling (config "rope_scaling" or "rope_parameters").
struct RopeScaling {
  std::string type = "default";  // default | linear | dynamic | llama3
  double factor = 1.0;
  double low_freq_factor = 1.0;             // llama3
  double high_freq_factor = 4.0;            // llama3
  int64_t original_max_position = 8192;     // llama3, dynamic
};

struct ModelConfig {
  std::string model_type;  // llama | mistral | qwen2
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_heads unless the config says otherwise
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t sliding_window = 0;  // Mistral / Qwen2 window; 0 = none. Longer sequences are refused.
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v (and for Llama's attention_bias also o) carry biases; always on for Qwen2
  bool o_bias = false;
  bool mlp_bias = false;
  std::string torch_dtype = "float32";  // the stored weights' dtype

  // Total parameters (tied embeddings counted once).
  int64_t num_parameters() const;
  // Parameters one rank holds at this TP size: heads, MLP and vocabulary split, key/value heads replicated when tp
  // exceeds their count, norms whole.
  int64_t num_parameters_per_rank(int64_t tp) const;
  // Why a TP group of this size cannot split the model (heads, key/value heads, MLP width, vocabulary), naming
  // every factor that fails; empty when it can.
  std::string tp_split_error(int64_t tp) const;
};

// Parses config.json; throws delrec::Error naming the file and key for missing, mistyped or unsupported values.
ModelConfig load_model_config(const std::filesystem::path& config_json);
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);

}  // namespace delrec::llm
