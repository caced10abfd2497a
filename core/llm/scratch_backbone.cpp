#include "core/llm/scratch_backbone.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/llm/bpe_trainer.h"
#include "core/llm/safetensors.h"
#include "core/llm/tokenizer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::llm {

void create_scratch_backbone(const config::ScratchBackboneConfig& c, const std::vector<std::string>& corpus,
                             const fs::path& dir) {
  DELREC_CHECK(c.hidden % c.heads == 0, "backbone.scratch.hidden ({}) must be divisible by backbone.scratch.heads "
               "({})", c.hidden, c.heads);
  DELREC_CHECK(c.heads % c.kv_heads == 0, "backbone.scratch.heads ({}) must be a multiple of "
               "backbone.scratch.kv_heads ({})", c.heads, c.kv_heads);
  DELREC_CHECK((c.hidden / c.heads) % 2 == 0, "backbone.scratch: head size hidden/heads = {} must be even (rotary "
               "embeddings)", c.hidden / c.heads);
  DELREC_CHECK(!fs::exists(dir), "{} exists already; delete it to build the scratch backbone again", dir.string());
  write_atomically(dir, [&](const fs::path& tmp) {
    fs::create_directories(tmp);
    write_file_atomically(tmp / "tokenizer.json", train_bpe_tokenizer_json(corpus, c.vocab));
    // The model's vocabulary is the tokenizer's rounded up to a multiple of 64, so any TP size up to 64 divides it
    // (as published checkpoints pad their embedding tables).
    const int64_t tokens = load_tokenizer(tmp)->vocab_size();
    const int64_t vocab = (tokens + 63) / 64 * 64;
    const int64_t head_dim = c.hidden / c.heads, kv = c.kv_heads * head_dim;
    json config = {{"architectures", {"LlamaForCausalLM"}},
                   {"model_type", "llama"},
                   {"vocab_size", vocab},
                   {"hidden_size", c.hidden},
                   {"intermediate_size", c.intermediate},
                   {"num_hidden_layers", c.layers},
                   {"num_attention_heads", c.heads},
                   {"num_key_value_heads", c.kv_heads},
                   {"max_position_embeddings", 8192},
                   {"rms_norm_eps", 1e-5},
                   {"rope_theta", 10000.0},
                   {"tie_word_embeddings", false},
                   {"bos_token_id", 0},
                   {"eos_token_id", 1},
                   {"torch_dtype", "float32"}};
    write_file_atomically(tmp / "config.json", config.dump(2) + "\n");
    write_file_atomically(tmp / "tokenizer_config.json",
                          json({{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|end_of_text|>"}}).dump(2) + "\n");

    // A private generator: the weights depend on backbone.scratch.seed only.
    auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(c.seed));
    auto normal = [&](std::vector<int64_t> shape) {
      return torch::empty(shape, torch::kFloat32).normal_(0.0, 0.02, gen);
    };
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    tensors.emplace_back("model.embed_tokens.weight", normal({vocab, c.hidden}));
    for (int64_t i = 0; i < c.layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      tensors.emplace_back(p + "self_attn.q_proj.weight", normal({c.hidden, c.hidden}));
      tensors.emplace_back(p + "self_attn.k_proj.weight", normal({kv, c.hidden}));
      tensors.emplace_back(p + "self_attn.v_proj.weight", normal({kv, c.hidden}));
      tensors.emplace_back(p + "self_attn.o_proj.weight", normal({c.hidden, c.hidden}));
      tensors.emplace_back(p + "mlp.gate_proj.weight", normal({c.intermediate, c.hidden}));
      tensors.emplace_back(p + "mlp.up_proj.weight", normal({c.intermediate, c.hidden}));
      tensors.emplace_back(p + "mlp.down_proj.weight", normal({c.hidden, c.intermediate}));
      tensors.emplace_back(p + "input_layernorm.weight", torch::ones({c.hidden}));
      tensors.emplace_back(p + "post_attention_layernorm.weight", torch::ones({c.hidden}));
    }
    tensors.emplace_back("model.norm.weight", torch::ones({c.hidden}));
    tensors.emplace_back("lm_head.weight", normal({vocab, c.hidden}));
    save_safetensors(tmp / "model.safetensors", tensors, {{"format", "pt"}});
  });
}

}  // namespace delrec::llm
