#include "core/teacher/sequence_model.h"

#include "core/teacher/caser.h"
#include "core/teacher/gru4rec.h"
#include "core/teacher/sasrec.h"
#include "core/util/error.h"

namespace delrec::teacher {

torch::Tensor SequenceModelImpl::score(const torch::Tensor& states, const torch::Tensor& items) {
  auto shape = items.sizes().vec();
  shape.push_back(states.size(-1));
  auto vectors = output_items().index_select(0, items.reshape(-1)).view(shape);  // (..., K, D)
  auto scores = (states.unsqueeze(-2) * vectors).sum(-1);                         // (..., K)
  auto bias = output_bias();
  if (bias.defined()) scores = scores + bias.index_select(0, items.reshape(-1)).view(items.sizes());
  return scores;
}

torch::Tensor SequenceModelImpl::score_all(const torch::Tensor& states) {
  auto scores = torch::matmul(states, output_items().t());  // (..., num_items + 1)
  auto bias = output_bias();
  return bias.defined() ? scores + bias : scores;
}

std::shared_ptr<SequenceModelImpl> make_sequence_model(const config::TeacherConfig& config, int64_t num_items) {
  DELREC_CHECK(num_items >= 1, "teacher: the dataset has no items");
  if (config.model == "sasrec") {
    const auto& c = config.sasrec;
    DELREC_CHECK(c.hidden % c.heads == 0, "teacher.sasrec.hidden ({}) must be divisible by teacher.sasrec.heads ({})",
                 c.hidden, c.heads);
    return SASRec(SASRecOptions(num_items, config.max_len)
                      .hidden(c.hidden).blocks(c.blocks).heads(c.heads).dropout(c.dropout)).ptr();
  }
  if (config.model == "gru4rec") {
    const auto& c = config.gru4rec;
    return GRU4Rec(GRU4RecOptions(num_items).hidden(c.hidden).layers(c.layers).dropout(c.dropout)).ptr();
  }
  if (config.model == "caser") {
    const auto& c = config.caser;
    return Caser(CaserOptions(num_items)
                     .hidden(c.hidden).window(c.window).vertical(c.vertical).horizontal(c.horizontal)
                     .dropout(c.dropout)).ptr();
  }
  throw UsageError(fmt::format("teacher.model: unknown model '{}'; use sasrec, gru4rec or caser", config.model));
}

}  // namespace delrec::teacher
