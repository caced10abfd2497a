// delrec tokenizer encode|decode DIR: line-oriented JSON in and out, so texts may hold newlines.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/llm/tokenizer.h"
#include "core/util/error.h"
#include "launcher/commands.h"

namespace delrec::cli {
namespace {

// Runs `convert` on every non-empty stdin line parsed as JSON, printing each result as one JSON line.
template <typename F>
void each_json_line(const char* what, F convert) {
  std::string line;
  for (size_t lineno = 1; std::getline(std::cin, line); ++lineno) {
    if (line.empty()) continue;
    nlohmann::json in;
    try {
      in = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(fmt::format("stdin line {}: expected {}: {}", lineno, what, e.what()));
    }
    std::cout << convert(in, lineno).dump() << '\n';
  }
}

}  // namespace

void add_tokenizer_commands(CLI::App& app) {
  auto* group = app.add_subcommand("tokenizer", "Encode or decode text with a Hugging Face tokenizer");
  group->require_subcommand(1);

  auto dir = std::make_shared<std::string>();
  auto add_special = std::make_shared<bool>(false);
  auto* encode = group->add_subcommand("encode", "One JSON string per stdin line -> one JSON array of ids per line");
  encode->add_option("DIR", *dir, "Folder holding tokenizer.json or tokenizer.model")->required();
  encode->add_flag("--add-special", *add_special, "Add the tokenizer's special tokens (e.g. BOS)");
  encode->callback([dir, add_special] {
    auto tok = llm::load_tokenizer(*dir);
    each_json_line("a JSON string", [&](const nlohmann::json& in, size_t lineno) {
      if (!in.is_string()) throw UsageError(fmt::format("stdin line {}: expected a JSON string", lineno));
      return nlohmann::json(tok->encode(in.get<std::string>(), *add_special));
    });
  });

  auto* decode = group->add_subcommand("decode", "One JSON array of ids per stdin line -> one JSON string per line");
  decode->add_option("DIR", *dir, "Folder holding tokenizer.json or tokenizer.model")->required();
  decode->callback([dir] {
    auto tok = llm::load_tokenizer(*dir);
    each_json_line("a JSON array of token ids", [&](const nlohmann::json& in, size_t lineno) {
      if (!in.is_array()) throw UsageError(fmt::format("stdin line {}: expected a JSON array of ids", lineno));
      std::vector<int64_t> ids;
      for (const auto& id : in) {
        if (!id.is_number_integer()) throw UsageError(fmt::format("stdin line {}: ids must be integers", lineno));
        ids.push_back(id.get<int64_t>());
      }
      return nlohmann::json(tok->decode(ids));
    });
  });
}

}  // namespace delrec::cli
