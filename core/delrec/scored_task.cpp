#include "core/delrec/scored_task.h"

namespace delrec::stages {

train::Task scored_task(std::string name, llm::CausalLm model, torch::Tensor soft_prompt,
                        prompt::EncodedExamples& examples, const prompt::PromptEncoder& encoder, ExampleLoss loss) {
  const int64_t soft_tokens = soft_prompt.defined() ? soft_prompt.size(0) : 0;
  train::Task task;
  task.name = std::move(name);
  task.num_examples = static_cast<int64_t>(examples.size());
  task.loss = [model, soft_prompt, &examples, &encoder, loss = std::move(loss)](
                  const std::vector<int64_t>& idx) mutable {
    // The batch's prompts in one forward (packed, with label scoring): its GEMMs see all their rows at once.
    std::vector<const prompt::TokenizedExample*> tokens;
    for (int64_t i : idx) tokens.push_back(&examples.at(static_cast<size_t>(i)));
    const std::vector<torch::Tensor> scores = score_examples(model, soft_prompt, tokens, encoder);  // each (C)
    torch::Tensor sum;  // on the model's device
    for (size_t k = 0; k < idx.size(); ++k) {
      torch::Tensor l = loss(examples.example(static_cast<size_t>(idx[k])), scores[k]);
      sum = sum.defined() ? sum + l : l;
    }
    return sum;
  };
  task.tokens = [&examples, soft_tokens](const std::vector<int64_t>& idx) {
    int64_t total = 0;
    for (int64_t i : idx) total += example_tokens(examples.at(static_cast<size_t>(i)), soft_tokens);
    return total;
  };
  return task;
}

}  // namespace delrec::stages
