#pragma once
// A training task of the DELRec stages (TA, RPS, recommendation): every example is scored over its candidates by
// the backbone (candidate_scorer.h), and a task-specific loss turns the (C) scores into a scalar.
#include <functional>
#include <string>

#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/train/trainer.h"

namespace delrec::stages {

// loss(example, scores): the loss of one example from its (C) candidate scores.
using ExampleLoss = std::function<torch::Tensor(const examples::Example& example, const torch::Tensor& scores)>;

// The trainer's Task over `examples`: its loss callback sums `loss` over a batch's examples (a scalar on the
// model's device, with its graph), its token callback counts the positions those examples show the model.
// `examples` and `encoder` must outlive the task.
train::Task scored_task(std::string name, llm::CausalLm model, torch::Tensor soft_prompt,
                        prompt::EncodedExamples& examples, const prompt::PromptEncoder& encoder, ExampleLoss loss);

}  // namespace delrec::stages
