#pragma once
// Errors are for people: each says what was wrong, where (file:line, key path, rank) and what to do.
// Thrown where the failure is detected, caught once in main(), which prints it and exits non-zero.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace delrec {

// Any error the user can act on (bad input, missing file, invalid recipe).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A command-line or recipe usage error (main() exits with kExitUsage).
class UsageError : public Error {
 public:
  using Error::Error;
};

inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

}  // namespace delrec

// DELREC_CHECK(cond, "format {}", args...): throw delrec::Error with the formatted message when cond is false.
#define DELREC_CHECK(cond, ...)                                \
  do {                                                         \
    if (!(cond)) throw ::delrec::Error(fmt::format(__VA_ARGS__)); \
  } while (0)
