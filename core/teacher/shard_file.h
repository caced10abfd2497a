#pragma once
// One shard file of the teacher cache: named 1-D or 2-D arrays (int8, int32, int64, float32) stored chunked by rows
// and compressed (shuffle + deflate), plus integer and string attributes. The only file that talks to HDF5 for the
// cache; every HDF5 call is checked and a failure names the file and the array.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace delrec::teacher {

class ShardWriter {
 public:
  explicit ShardWriter(const std::filesystem::path& path);  // creates or truncates
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // array: contiguous CPU tensor, 1-D (rows) or 2-D (rows, cols).
  void write(const std::string& name, const torch::Tensor& array);
  void set_attribute(const std::string& name, int64_t value);
  void set_attribute(const std::string& name, const std::string& value);
  void close();  // flushes; errors here mean the file is not complete

 private:
  std::filesystem::path path_;
  int64_t file_ = -1;
};

class ShardReader {
 public:
  // Opens read-only; a missing, truncated or non-HDF5 file is an Error naming it.
  explicit ShardReader(const std::filesystem::path& path);
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  std::vector<int64_t> shape(const std::string& name) const;
  // Rows [begin, end) of array `name`, as a tensor of the stored dtype.
  torch::Tensor read_rows(const std::string& name, int64_t begin, int64_t end) const;
  int64_t int_attribute(const std::string& name) const;
  std::string string_attribute(const std::string& name) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int64_t file_ = -1;
};

}  // namespace delrec::teacher
