#pragma once
// Recipe section `teacher`: the conventional sequential recommender whose patterns DELRec distils (SASRec, GRU4Rec
// or Caser), how it is trained, and what its cache holds. Model defaults are those of the original papers; the
// training defaults follow the SASRec protocol (Kang & McAuley 2018; pmixer/SASRec.pytorch).
#include <cstdint>
#include <string>

#include "core/config/schema.h"

namespace delrec::config {

// SASRec (Kang & McAuley 2018): causal self-attention over the item sequence.
struct SASRecConfig {
  int64_t hidden = 50;      // item/position embedding size
  int64_t blocks = 2;       // self-attention blocks
  int64_t heads = 1;        // attention heads (hidden must be divisible by heads)
  double dropout = 0.2;     // dropout on embeddings, attention weights and feed-forward layers

  void describe(Schema& s) {
    s.field("hidden", hidden, "embedding size", between(1, 65536));
    s.field("blocks", blocks, "self-attention blocks", between(1, 64));
    s.field("heads", heads, "attention heads (hidden must be divisible by heads)", between(1, 256));
    s.field("dropout", dropout, "dropout rate", between(0, 0.99));
  }
};

// GRU4Rec (Hidasi et al. 2016): a recurrent network over the item sequence.
struct GRU4RecConfig {
  int64_t hidden = 100;     // GRU state size (also the item embedding size)
  int64_t layers = 1;       // stacked GRU layers
  double dropout = 0.25;    // dropout on the embeddings and between layers

  void describe(Schema& s) {
    s.field("hidden", hidden, "GRU state and item embedding size", between(1, 65536));
    s.field("layers", layers, "stacked GRU layers", between(1, 16));
    s.field("dropout", dropout, "dropout rate", between(0, 0.99));
  }
};

// Caser (Tang & Wang 2018): horizontal and vertical convolutions over the last `window` items.
struct CaserConfig {
  int64_t hidden = 50;      // item embedding size d
  int64_t window = 5;       // L: how many recent items each prediction sees
  int64_t vertical = 4;     // n_v: vertical filters
  int64_t horizontal = 16;  // n_h: horizontal filters per height 1..L
  double dropout = 0.5;     // dropout before the fully connected layer

  void describe(Schema& s) {
    s.field("hidden", hidden, "item embedding size d", between(1, 65536));
    s.field("window", window, "L: recent items each prediction sees", between(1, 1024));
    s.field("vertical", vertical, "n_v: vertical convolution filters", between(1, 4096));
    s.field("horizontal", horizontal, "n_h: horizontal filters per height 1..L", between(1, 4096));
    s.field("dropout", dropout, "dropout rate before the fully connected layer", between(0, 0.99));
  }
};

struct TeacherConfig {
  std::string model = "sasrec";     // sasrec, gru4rec or caser
  SASRecConfig sasrec;
  GRU4RecConfig gru4rec;
  CaserConfig caser;
  int64_t max_len = 200;            // histories are cut to their most recent max_len items
  std::string loss = "bce";         // bce: one sampled negative per position (SASRec); softmax: full cross-entropy
  int64_t epochs = 200;             // upper bound on training epochs
  int64_t batch_size = 128;         // training sequences per step
  double lr = 1e-3;                 // Adam learning rate
  double adam_beta2 = 0.98;         // Adam beta2 (SASRec uses 0.98)
  double weight_decay = 0;          // L2 penalty added by Adam
  int64_t eval_every = 20;          // validate every N epochs (and after the last one)
  int64_t patience = 5;             // stop after N validations without a better validation NDCG@10 (0 = never)
  int64_t eval_batch_size = 512;    // histories per forward pass when evaluating or caching
  int64_t threads = 0;              // intra-op CPU threads; 0 = leave the LibTorch default
  std::string checkpoint;           // best checkpoint; empty = <run.out_dir>/teacher/<model>.pt
  int64_t top_k = 50;               // cache: top-K items (ids and scores) stored per example
  int64_t cache_train_prefixes = -1;  // cache: most recent training prefixes per user (-1 = all, 0 = none)
  int64_t cache_shards = 0;         // cache: shard files; 0 = one per MPI rank
  std::string cache_dir;            // cache directory; empty = <run.out_dir>/teacher_cache

  void describe(Schema& s) {
    s.choice("model", model, {"sasrec", "gru4rec", "caser"}, "teacher model");
    s.section("sasrec", sasrec, "SASRec hyperparameters (model = sasrec)");
    s.section("gru4rec", gru4rec, "GRU4Rec hyperparameters (model = gru4rec)");
    s.section("caser", caser, "Caser hyperparameters (model = caser)");
    s.field("max_len", max_len, "histories are cut to their most recent max_len items", between(1, 100000));
    s.choice("loss", loss, {"bce", "softmax"},
             "bce: binary cross-entropy with one sampled negative per position; softmax: full cross-entropy");
    s.field("epochs", epochs, "maximum training epochs", between(1, 1e6));
    s.field("batch_size", batch_size, "training sequences per step", between(1, 1e6));
    s.field("lr", lr, "Adam learning rate", between(0, 10));
    s.field("adam_beta2", adam_beta2, "Adam beta2", between(0, 0.999999));
    s.field("weight_decay", weight_decay, "L2 penalty (Adam weight decay)", at_least(0));
    s.field("eval_every", eval_every, "validate every N epochs and after the last", between(1, 1e6));
    s.field("patience", patience, "stop after N validations without improvement; 0 = never", at_least(0));
    s.field("eval_batch_size", eval_batch_size, "histories per forward pass when evaluating", between(1, 1e6));
    s.field("threads", threads, "intra-op CPU threads; 0 = LibTorch default", between(0, 1024));
    s.field("checkpoint", checkpoint, "best checkpoint; empty = <run.out_dir>/teacher/<model>.pt");
    s.field("top_k", top_k, "cache: top-K items stored per example", between(1, 100000));
    s.field("cache_train_prefixes", cache_train_prefixes,
            "cache: most recent training prefixes per user; -1 = all, 0 = none", at_least(-1));
    s.field("cache_shards", cache_shards, "cache: number of shard files; 0 = one per MPI rank", between(0, 99999));
    s.field("cache_dir", cache_dir, "cache directory; empty = <run.out_dir>/teacher_cache");
  }
};

}  // namespace delrec::config
