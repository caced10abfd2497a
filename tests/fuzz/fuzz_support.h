#pragma once
// Shared pieces of the libFuzzer targets (tests/fuzz/*_fuzz.cpp). Each target feeds bytes to one reader of untrusted
// input. A delrec::Error is the expected answer to bad bytes; anything else (a crash, an ASan or UBSan report,
// std::bad_alloc or another exception, a hang) reaches libFuzzer and is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>

#include "core/util/error.h"

namespace delrec::fuzz {

// A directory of this process's own under /dev/shm (memory: targets write a file or two per input), made on first
// use and removed at exit. Readers that only take a path read the bytes from here.
const std::filesystem::path& scratch_dir();

// Writes `bytes` to `path`, replacing it.
void write_file(const std::filesystem::path& path, std::string_view bytes);

// Inputs made of two parts (a file and a text, two files): the bytes before the first NUL and those after it.
// Without a NUL the second part is empty.
std::pair<std::string_view, std::string_view> split_at_nul(std::string_view bytes);

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs f(): a delrec::Error (bad input, refused as it should be) ends it quietly, anything else escapes.
template <class F>
void refused_or_accepted(F&& f) {
  try {
    f();
  } catch (const ::delrec::Error&) {
  }
}

}  // namespace delrec::fuzz
