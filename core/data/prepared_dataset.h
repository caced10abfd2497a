#pragma once
// The prepared dataset file: one HDF5 file holding a Dataset (layout in docs/data.md). The only file that talks
// to HDF5 for datasets. Writes are atomic (temporary file, then rename); reads validate structure, id ranges, the
// split invariants and the fingerprint, so a truncated or corrupt file is an Error naming the file and the problem.
#include <filesystem>

#include "core/data/dataset.h"

namespace delrec::data {

inline constexpr int64_t kPreparedFormatVersion = 1;

void save_prepared(const Dataset& dataset, const std::filesystem::path& path);
Dataset load_prepared(const std::filesystem::path& path);

}  // namespace delrec::data
