#pragma once
// Shared test helpers: temporary directories, paths to ../shared and committed fixtures.
#include <gtest/gtest.h>

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "core/util/error.h"

namespace delrec::test {

// A fresh directory under the system temp dir, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// ../shared beside the checkout (fixtures, MovieLens). Empty path when it is absent.
std::filesystem::path shared_dir();
// The Hugging Face fixtures (tiny-llama, tiny-qwen2, bpe-tokenizer, sp-tokenizer), made live by
// tests/reference/make_fixtures.py when the tests are built.
std::filesystem::path fixtures_dir();
// tests/data: small fixture files committed with the tests.
std::filesystem::path test_data_dir();
// The built `delrec` executable, for end-to-end CLI tests.
std::filesystem::path delrec_binary();

// Environment prefix for shell commands that start ranks with mpirun: root may run them (CI runs as root), and no
// GPU is visible, so that several ranks on a one-GPU machine never meet on it (NCCL refuses that) and the tests
// run the same MPI-on-CPU path everywhere.
inline const std::string kMpiEnv = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 CUDA_VISIBLE_DEVICES= ";

// Overrides that shrink the quickstart to seconds for end-to-end tests (fewer users, two teacher epochs, two steps
// per stage, two ablations), each preceded by a space and quoted for a shell.
std::string small_quickstart_overrides();

// Runs a shell command, returns its exit code; stdout+stderr captured into *output when given.
int run_command(const std::string& command, std::string* output = nullptr);

// Starts `command` through /bin/sh in a process group of its own, its stdout and stderr to `log`; returns its pid
// (the group's id). Reap it with waitpid.
pid_t spawn(const std::string& command, const std::filesystem::path& log);

// `root` and all its descendants, from /proc. Open MPI starts each rank in a process group of its own, so a signal
// to the launcher's group would leave the ranks running; a node that dies takes every one of them.
std::vector<pid_t> process_tree(pid_t root);

// The lines of a metrics.jsonl text without their timings ("seconds", "forward_backward_seconds"): what two runs
// of the same training must agree on byte for byte.
std::string metrics_without_timings(const std::string& jsonl);

// The message of the delrec::Error (or of the subclass E, e.g. UsageError) that f() throws; records a test
// failure and returns "" when it throws none.
template <class E = ::delrec::Error, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a " << (std::is_same_v<E, ::delrec::Error> ? "delrec::Error" : "more specific error");
  return "";
}

}  // namespace delrec::test

// Skips the current test with a message when a ../shared resource is absent.
#define DELREC_REQUIRE_SHARED(relative)                                                            \
  do {                                                                                            \
    if (!std::filesystem::exists(::delrec::test::shared_dir() / (relative)))                      \
      GTEST_SKIP() << "../shared/" << (relative) << " is not present; skipping";                  \
  } while (0)
