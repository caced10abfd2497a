#pragma once
// Raw dataset -> prepared dataset: read (readers/), order, filter, remap ids, split, candidates, fingerprint.
// The protocol is described in docs/data.md; save/load of the result is in prepared_dataset.h.
#include <string>
#include <vector>

#include "core/config/data_config.h"
#include "core/data/dataset.h"
#include "core/data/raw_data.h"

namespace delrec::data {

// Names accepted as data.dataset, in the order shown in errors and help.
const std::vector<std::string>& supported_datasets();

// Reads config.source with the reader of config.dataset (or generates synthetic data). Unknown names list the
// supported ones.
RawData read_raw(const config::DataConfig& config);

// Processing of data already in memory, in this order: chronological order per user (stable on ties), min_rating,
// k-core, max_history (most recent kept), min_history; then dense ids (items 1..N and users 0..U-1, each in natural
// key order: numeric keys by value, before other keys, which sort as bytes), candidates and the fingerprint.
// Titles are tidied by clean_title (title_cleanup.h) when config.title_cleanup is set; items without a title, or
// with an empty one, get their key as title (with a warning).
Dataset build_dataset(const RawData& raw, const config::DataConfig& config, const std::string& name,
                      const std::string& recipe_yaml);

// read_raw + build_dataset. The dataset name is "synthetic" or the source's directory (or file stem) name;
// `recipe_yaml` (the resolved recipe) is stored with the data.
Dataset prepare(const config::DataConfig& config, const std::string& recipe_yaml = "");

}  // namespace delrec::data
