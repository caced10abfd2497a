#include "tests/test_support.h"

#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <map>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace delrec::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("delrec-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path shared_dir() { return fs::path(DELREC_SHARED_DIR); }
fs::path fixtures_dir() { return fs::path(DELREC_FIXTURES_DIR); }
fs::path test_data_dir() { return fs::path(DELREC_TEST_DATA_DIR); }
fs::path delrec_binary() { return fs::path(DELREC_BINARY); }

int run_command(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::array<char, 4096> buf;
  std::string out;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string metrics_without_timings(const std::string& jsonl) {
  std::string out;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j.erase("seconds");
    j.erase("forward_backward_seconds");
    j.erase("tokens_per_second");
    j.erase("peak_memory_bytes");  // measurements, like the timings
    j.erase("peak_rss_bytes");
    out += j.dump() + "\n";
  }
  return out;
}

pid_t spawn(const std::string& command, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    const std::string redirected = "exec " + command + " > " + log.string() + " 2>&1";  // the leader is delrec
    execl("/bin/sh", "sh", "-c", redirected.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

std::vector<pid_t> process_tree(pid_t root) {
  std::multimap<pid_t, pid_t> children;  // parent -> child
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // exited meanwhile
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, the fields follow the last ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 1));
    char state = 0;
    pid_t parent = 0;
    if (fields >> state >> parent) children.emplace(parent, static_cast<pid_t>(std::stol(name)));
  }
  std::vector<pid_t> tree = {root};
  for (size_t i = 0; i < tree.size(); ++i) {
    const auto [first, last] = children.equal_range(tree[i]);
    for (auto it = first; it != last; ++it) tree.push_back(it->second);
  }
  return tree;
}

std::string small_quickstart_overrides() {
  return " data.synthetic.users=60 teacher.epochs=2 teacher.max_len=20 stage1.train.steps=2 "
         "stage2.train.steps=2 stage1.train.eval_examples=4 stage2.train.eval_examples=4 eval.max_users=12 "
         "'eval.ablations=[no_soft_prompt, zero_shot]'";
}

}  // namespace delrec::test
