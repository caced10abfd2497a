#pragma once
// The median of a sample (the mean of the two middle values when its size is even; 0 when it is empty): the
// figure the run report and the benchmarks give for step times, robust to a slow first step or a stall.
#include <algorithm>
#include <vector>

namespace delrec::util {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace delrec::util
