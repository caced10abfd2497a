#include "core/delrec/soft_prompt.h"

#include "core/llm/safetensors.h"
#include "core/util/error.h"

namespace delrec::stages {

torch::Tensor init_soft_prompt(llm::CausalLm& model, const llm::Tokenizer& tokenizer,
                               const config::Stage1Config& config) {
  torch::NoGradGuard no_grad;
  const int64_t n = config.soft_tokens, hidden = model->config().hidden_size;
  const auto device = model->parameters().front().device();
  torch::Tensor soft;
  if (config.init == "text") {
    const auto ids = tokenizer.encode(config.init_text, false);
    DELREC_CHECK(!ids.empty(), "stage1.init_text is empty; give a text or use stage1.init=random");
    std::vector<int64_t> cycled;
    for (int64_t i = 0; i < n; ++i) cycled.push_back(ids[static_cast<size_t>(i) % ids.size()]);
    soft = model->embed(torch::tensor(cycled, torch::kInt64).to(device).unsqueeze(0)).squeeze(0);  // (n, hidden)
  } else {
    // The embedding table's scale: sum and sum of squares over this rank's rows, summed over the TP group.
    torch::Tensor w;
    for (const auto& p : model->named_parameters())
      if (p.key().find("embed_tokens") != std::string::npos) w = p.value().to(torch::kFloat64);
    DELREC_CHECK(w.defined(), "internal: the model has no embedding table");
    torch::Tensor stats = torch::stack({w.sum(), w.pow(2).sum(), torch::tensor(double(w.numel()), w.options())});
    model->tp()->all_reduce(stats, parallel::ReduceOp::kSum);
    const double count = stats[2].item<double>(), mean = stats[0].item<double>() / count;
    const double stddev = std::sqrt(std::max(0.0, stats[1].item<double>() / count - mean * mean));
    soft = torch::randn({n, hidden}, torch::TensorOptions().dtype(torch::kFloat32)).mul_(stddev).to(device);
  }
  return soft.to(torch::kFloat32).contiguous().clone().requires_grad_(true);
}

void save_soft_prompt(const torch::Tensor& soft_prompt, const std::filesystem::path& path) {
  llm::save_safetensors(path, {{"soft_prompt", soft_prompt.detach().to(torch::kCPU, torch::kFloat32).contiguous()}},
                        {{"format", "pt"}, {"hidden_size", std::to_string(soft_prompt.size(1))}});
}

torch::Tensor load_soft_prompt(const std::filesystem::path& path, const llm::CausalLm& model) {
  llm::SafetensorsFile file(path);
  DELREC_CHECK(file.contains("soft_prompt"), "{}: no tensor \"soft_prompt\" (not a delrec soft prompt file)",
               path.string());
  torch::Tensor soft = file.read("soft_prompt");
  DELREC_CHECK(soft.dim() == 2 && soft.size(1) == model->config().hidden_size,
               "{}: soft prompt of shape {} does not fit a backbone with hidden size {}; it was trained for another "
               "backbone", path.string(), c10::str(soft.sizes()), model->config().hidden_size);
  return soft.to(model->parameters().front().device(), torch::kFloat32);
}

}  // namespace delrec::stages
