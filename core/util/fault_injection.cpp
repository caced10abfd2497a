#include "core/util/fault_injection.h"

#include <cstdlib>
#include <string>

#include "core/util/error.h"

namespace delrec {
namespace {

int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return std::atoi(value);
  return 0;
}

}  // namespace

bool failure_injected(const char* point) {
  const char* spec = std::getenv("DELREC_FAIL_AT");
  if (spec == nullptr || *spec == '\0') return false;
  const std::string s(spec);
  const size_t at = s.find('@');
  if (s.substr(0, at) != point) return false;
  return at == std::string::npos || std::atoi(s.c_str() + at + 1) == launcher_rank();
}

void fail_point(const char* point) {
  if (!failure_injected(point)) return;
  throw Error(fmt::format("injected failure at {} on rank {} (DELREC_FAIL_AT={})", point, launcher_rank(),
                          std::getenv("DELREC_FAIL_AT")));
}

}  // namespace delrec
