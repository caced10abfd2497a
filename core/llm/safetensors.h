#pragma once
// Hugging Face safetensors files, read through a memory map and treated as untrusted input.
//
// Layout: [u64 little-endian header length N][N bytes of JSON header][data section]. The header maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section), plus an
// optional "__metadata__" object of string values. Every field is checked before any byte is read: the header
// length against the file size and kMaxHeaderBytes, each dtype against the known list, each byte range against
// the data section, against shape x element size, and against every other range (no overlap).
//
// Reading copies only the requested bytes out of the map, so a tensor-parallel rank that asks for its slice of a
// 70B checkpoint touches only that slice's pages, and releases them from its mapping afterwards.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace delrec::llm {

inline constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // 100 MB; real headers are a few MB at most

struct TensorInfo {
  std::string dtype;            // safetensors name: F32, BF16, I64, ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

// Bytes per element of a safetensors dtype name; throws for unknown names.
size_t dtype_size(const std::string& dtype);
// The torch dtype of a safetensors dtype name; throws when this LibTorch has no such type (e.g. U16 before 2.3).
torch::ScalarType to_torch_dtype(const std::string& dtype);
// The safetensors name of a torch dtype.
std::string from_torch_dtype(torch::ScalarType dtype);

class SafetensorsFile {
 public:
  // Maps and validates the file; throws delrec::Error naming the file (and tensor) on any inconsistency.
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;  // throws naming the file when absent
  std::vector<std::string> names() const;                 // sorted
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The whole tensor, copied out of the map (CPU, its stored dtype).
  torch::Tensor read(const std::string& name) const;
  // Rows [start, start + length) along `dim`, copied out of the map; other dims whole.
  torch::Tensor read_slice(const std::string& name, int64_t dim, int64_t start, int64_t length) const;

 private:
  void release(const TensorInfo& info) const;

  std::filesystem::path path_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_start_ = 0;  // 8 + header length
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (any device, contiguous or not) as one safetensors file, atomically. Names must be unique.
void save_safetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace delrec::llm
