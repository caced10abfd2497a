#pragma once
// Deterministic synthetic interactions with titles and planted sequential patterns, for quickstart and tests.
//
// Every item i has one successor succ(i) (the items form one random cycle). Each user's sequence starts with a
// popularity-sampled item; each next item is succ(previous) with probability pattern_strength, otherwise a fresh
// popularity-sampled item (Zipf-like popularity, weight 1 / (rank + 1)^0.8). A sequential model can therefore reach
// a hit rate near pattern_strength, a popularity model cannot: a quick check that training learns order.
// Same config and seed -> byte-identical data on every platform (own PRNG, see core/util/random.h).
#include <cstdint>

#include "core/config/data_config.h"
#include "core/data/raw_data.h"

namespace delrec::data {

// Users are keyed "1".."users", items "1".."items"; timestamps are one minute apart within a user.
RawData generate_synthetic(const config::SyntheticConfig& config, int64_t seed);

}  // namespace delrec::data
