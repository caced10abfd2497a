#pragma once
// Recipe section `backbone`: the decoder-only LLM DELRec trains soft prompts and LoRA adapters for, and how it is
// split over ranks. Either a Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json or
// tokenizer.model), or -- when `path` is empty -- a small Llama-architecture model created from scratch in the run
// directory (random weights, a byte-level BPE tokenizer trained on the dataset's titles): a try-out that needs
// no download, not a model that gives real results.
#include <cstdint>
#include <string>

#include "core/config/schema.h"

namespace delrec::config {

// The from-scratch backbone (backbone.path empty).
struct ScratchBackboneConfig {
  int64_t hidden = 64;          // hidden size
  int64_t layers = 2;           // decoder layers
  int64_t heads = 4;            // attention heads
  int64_t kv_heads = 2;         // key/value heads (grouped-query attention when < heads)
  int64_t intermediate = 172;   // SwiGLU width
  int64_t vocab = 1024;         // tokenizer size: 256 bytes + merges learned on the titles and prompts + specials
  int64_t seed = 7;             // weight initialisation and nothing else

  void describe(Schema& s) {
    s.field("hidden", hidden, "hidden size", between(8, 65536));
    s.field("layers", layers, "decoder layers", between(1, 256));
    s.field("heads", heads, "attention heads (must divide hidden)", between(1, 1024));
    s.field("kv_heads", kv_heads, "key/value heads (must divide heads)", between(1, 1024));
    s.field("intermediate", intermediate, "SwiGLU MLP width", between(1, 1e6));
    s.field("vocab", vocab, "tokenizer vocabulary: 259 byte and special tokens plus learned merges",
            between(264, 1e6));
    s.field("seed", seed, "seed of the random weights", at_least(0));
  }
};

struct BackboneConfig {
  std::string path;                 // Hugging Face checkpoint folder; empty = build the scratch model below
  std::string dtype = "auto";       // compute dtype: auto (bfloat16 on a GPU, float32 on a CPU), float32, bfloat16
  int64_t tp = 0;                   // tensor-parallel size; 0 = DELREC_TP from the environment, else 1
  std::string recompute = "none";   // activation recomputation per decoder layer: none, full, selective
  ScratchBackboneConfig scratch;

  void describe(Schema& s) {
    s.field("path", path, "Hugging Face checkpoint folder; empty = a small Llama created from scratch in the run "
                          "directory (offline try-out, not real results)");
    s.choice("dtype", dtype, {"auto", "float32", "bfloat16"},
             "compute dtype of the frozen backbone weights (cast on load); auto = bfloat16 on a GPU, float32 on a "
             "CPU. LoRA and the soft prompt train in float32 either way");
    s.field("tp", tp, "tensor-parallel size (ranks per model copy); 0 = DELREC_TP or 1", between(0, 4096));
    s.choice("recompute", recompute, {"none", "full", "selective"},
             "activation recomputation in backward, per decoder layer: none keeps every activation; full keeps only "
             "each layer's input and reruns the layer (about one more forward pass); selective reruns each layer's "
             "MLP block, most of a Llama layer's activations (docs/plan.md)");
    s.section("scratch", scratch, "the from-scratch backbone (path empty)");
  }
};

}  // namespace delrec::config
