#include "core/llm/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::llm {
namespace {

struct DTypeEntry {
  const char* name;
  size_t size;
  bool has_torch;
  torch::ScalarType torch_type;
};

// Every dtype of the safetensors format. Types this LibTorch lacks are still validated (their size is known) but
// cannot be read into a tensor.
const std::vector<DTypeEntry>& dtype_table() {
  static const std::vector<DTypeEntry> table = {
      {"BOOL", 1, true, torch::kBool},      {"U8", 1, true, torch::kUInt8},
      {"I8", 1, true, torch::kInt8},        {"I16", 2, true, torch::kInt16},
      {"I32", 4, true, torch::kInt32},      {"I64", 8, true, torch::kInt64},
      {"F16", 2, true, torch::kFloat16},    {"BF16", 2, true, torch::kBFloat16},
      {"F32", 4, true, torch::kFloat32},    {"F64", 8, true, torch::kFloat64},
      {"U16", 2, false, torch::kUInt8},     {"U32", 4, false, torch::kUInt8},
      {"U64", 8, false, torch::kUInt8},     {"F8_E4M3", 1, false, torch::kUInt8},
      {"F8_E5M2", 1, false, torch::kUInt8},
  };
  return table;
}

const DTypeEntry* find_dtype(const std::string& name) {
  for (const auto& e : dtype_table())
    if (name == e.name) return &e;
  return nullptr;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Parses one header entry; `where` is "file: tensor 'name'" for messages.
TensorInfo parse_entry(const json& entry, const std::string& where) {
  DELREC_CHECK(entry.is_object(), "{}: header entry is not an object", where);
  DELREC_CHECK(entry.contains("dtype") && entry["dtype"].is_string(), "{}: missing or non-string \"dtype\"", where);
  DELREC_CHECK(entry.contains("shape") && entry["shape"].is_array(), "{}: missing or non-array \"shape\"", where);
  DELREC_CHECK(entry.contains("data_offsets") && entry["data_offsets"].is_array() &&
                   entry["data_offsets"].size() == 2,
               "{}: \"data_offsets\" must be an array [begin, end]", where);
  TensorInfo info;
  info.dtype = entry["dtype"].get<std::string>();
  const DTypeEntry* dt = find_dtype(info.dtype);
  DELREC_CHECK(dt != nullptr, "{}: unknown dtype \"{}\" (known: BOOL U8 I8 I16 I32 I64 F16 BF16 F32 F64 U16 U32 U64 "
               "F8_E4M3 F8_E5M2)", where, info.dtype);
  uint64_t elements = 1;
  for (const auto& d : entry["shape"]) {
    DELREC_CHECK(d.is_number_unsigned(), "{}: shape entries must be non-negative integers", where);
    uint64_t n = d.get<uint64_t>();
    DELREC_CHECK(n < (1ull << 40) && (n == 0 || elements <= (1ull << 50) / n), "{}: shape is too large", where);
    elements *= n;
    info.shape.push_back(static_cast<int64_t>(n));
  }
  for (const auto& o : entry["data_offsets"])
    DELREC_CHECK(o.is_number_unsigned(), "{}: data_offsets must be non-negative integers", where);
  info.begin = entry["data_offsets"][0].get<uint64_t>();
  info.end = entry["data_offsets"][1].get<uint64_t>();
  DELREC_CHECK(info.begin <= info.end, "{}: data_offsets [{}, {}] run backwards", where, info.begin, info.end);
  DELREC_CHECK(info.end - info.begin == elements * dt->size,
               "{}: data_offsets [{}, {}] hold {} bytes but shape x {} needs {}", where, info.begin, info.end,
               info.end - info.begin, info.dtype, elements * dt->size);
  return info;
}

}  // namespace

size_t dtype_size(const std::string& dtype) {
  const DTypeEntry* e = find_dtype(dtype);
  DELREC_CHECK(e != nullptr, "unknown safetensors dtype \"{}\"", dtype);
  return e->size;
}

torch::ScalarType to_torch_dtype(const std::string& dtype) {
  const DTypeEntry* e = find_dtype(dtype);
  DELREC_CHECK(e != nullptr, "unknown safetensors dtype \"{}\"", dtype);
  DELREC_CHECK(e->has_torch, "safetensors dtype {} has no LibTorch equivalent in this build; convert the tensor to "
               "F32, BF16 or F16", dtype);
  return e->torch_type;
}

std::string from_torch_dtype(torch::ScalarType dtype) {
  for (const auto& e : dtype_table())
    if (e.has_torch && e.torch_type == dtype) return e.name;
  throw Error(fmt::format("tensors of dtype {} cannot be saved as safetensors", c10::toString(dtype)));
}

SafetensorsFile::SafetensorsFile(const fs::path& path) : path_(path) {
  const std::string file = path.string();
  // O_NONBLOCK: opening a FIFO does not wait for a writer, so the regular-file check below is reached.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  DELREC_CHECK(fd >= 0, "cannot open {}: {}", file, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(fmt::format("{} is not a regular file", file));
  }
  map_size_ = static_cast<size_t>(st.st_size);
  if (map_size_ < 8) {
    ::close(fd);
    throw Error(fmt::format("{}: file has {} bytes, too short for a safetensors header (truncated?)", file,
                            map_size_));
  }
  void* m = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file open
  DELREC_CHECK(m != MAP_FAILED, "cannot memory-map {}: {}", file, std::strerror(errno));
  map_ = static_cast<const uint8_t*>(m);

  try {
    const uint64_t header_len = read_u64_le(map_);
    DELREC_CHECK(header_len <= kMaxHeaderBytes, "{}: header length {} exceeds the {} byte limit (not a safetensors "
                 "file, or corrupt)", file, header_len, kMaxHeaderBytes);
    DELREC_CHECK(header_len <= map_size_ - 8, "{}: header length {} runs past the end of the {} byte file "
                 "(truncated?)", file, header_len, map_size_);
    data_start_ = 8 + header_len;
    const json header = parse_json(
        std::string_view(reinterpret_cast<const char*>(map_ + 8), header_len), file + " header");
    DELREC_CHECK(header.is_object(), "{}: header is not a JSON object", file);
    const uint64_t data_size = map_size_ - data_start_;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        DELREC_CHECK(entry.is_object(), "{}: __metadata__ is not an object", file);
        for (const auto& [k, v] : entry.items()) {
          DELREC_CHECK(v.is_string(), "{}: __metadata__ value for \"{}\" is not a string", file, k);
          metadata_[k] = v.get<std::string>();
        }
        continue;
      }
      const std::string where = fmt::format("{}: tensor '{}'", file, name);
      TensorInfo info = parse_entry(entry, where);
      DELREC_CHECK(info.end <= data_size, "{}: data_offsets [{}, {}] run past the {} byte data section "
                   "(truncated file?)", where, info.begin, info.end, data_size);
      tensors_.emplace(name, std::move(info));
    }
    // No two tensors may share bytes: sort by (begin, end) and compare neighbours. Empty tensors are not exempt (as
    // in the safetensors library): one placed strictly inside another tensor's bytes marks a corrupt header.
    std::vector<std::pair<const std::string*, const TensorInfo*>> order;
    for (const auto& [name, info] : tensors_) order.emplace_back(&name, &info);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.second->begin, a.second->end) < std::make_pair(b.second->begin, b.second->end);
    });
    for (size_t i = 1; i < order.size(); ++i) {
      const TensorInfo& prev = *order[i - 1].second;
      const TensorInfo& cur = *order[i].second;
      DELREC_CHECK(cur.begin >= prev.end,
                   "{}: tensors '{}' [{}, {}] and '{}' [{}, {}] overlap (corrupt file)", file, *order[i - 1].first,
                   prev.begin, prev.end, *order[i].first, cur.begin, cur.end);
    }
  } catch (...) {
    ::munmap(const_cast<uint8_t*>(map_), map_size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_size_);
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = tensors_.find(name);
  DELREC_CHECK(it != tensors_.end(), "{}: no tensor named '{}' ({} tensors in the file)", path_.string(), name,
               tensors_.size());
  return it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& kv : tensors_) out.push_back(kv.first);
  return out;
}

void SafetensorsFile::release(const TensorInfo& ti) const {
  // Drop the tensor's pages from this process's mapping once copied: they stay in the page cache (a re-read
  // faults them back in) but stop counting towards this rank's resident memory.
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = reinterpret_cast<uintptr_t>(map_ + data_start_ + ti.begin) & ~(page - 1);
  const uintptr_t last = reinterpret_cast<uintptr_t>(map_ + data_start_ + ti.end);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

torch::Tensor SafetensorsFile::read(const std::string& name) const {
  const TensorInfo& ti = info(name);
  torch::Tensor out = torch::empty(ti.shape, torch::TensorOptions().dtype(to_torch_dtype(ti.dtype)));
  // An empty tensor has no storage (data_ptr() is null), and memcpy from or to null is undefined even for 0 bytes.
  if (ti.end > ti.begin) std::memcpy(out.data_ptr(), map_ + data_start_ + ti.begin, ti.end - ti.begin);
  release(ti);
  return out;
}

torch::Tensor SafetensorsFile::read_slice(const std::string& name, int64_t dim, int64_t start, int64_t length) const {
  const TensorInfo& ti = info(name);
  const int64_t rank = static_cast<int64_t>(ti.shape.size());
  DELREC_CHECK(dim >= 0 && dim < rank, "{}: tensor '{}' has {} dims, cannot slice dim {}", path_.string(), name,
               rank, dim);
  DELREC_CHECK(start >= 0 && length >= 0 && start + length <= ti.shape[dim],
               "{}: tensor '{}' slice [{}, {}) of dim {} is outside its size {}", path_.string(), name, start,
               start + length, dim, ti.shape[dim]);
  // View as [outer, shape[dim], inner]; copy `length` rows of `inner` bytes from each outer block.
  int64_t outer = 1, inner = static_cast<int64_t>(dtype_size(ti.dtype));
  for (int64_t d = 0; d < dim; ++d) outer *= ti.shape[d];
  for (int64_t d = dim + 1; d < rank; ++d) inner *= ti.shape[d];
  std::vector<int64_t> shape = ti.shape;
  shape[dim] = length;
  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(to_torch_dtype(ti.dtype)));
  auto* dst = static_cast<uint8_t*>(out.data_ptr());
  const uint8_t* src = map_ + data_start_ + ti.begin;
  const size_t block = static_cast<size_t>(length * inner);
  if (out.numel() == 0) return out;  // no storage to copy into (see read())
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + o * block, src + (o * ti.shape[dim] + start) * inner, block);
  release(ti);
  return out;
}

void save_safetensors(const fs::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> cpu;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    DELREC_CHECK(!header.contains(name), "save_safetensors {}: duplicate tensor name '{}'", path.string(), name);
    cpu.push_back(t.detach().to(torch::kCPU).contiguous());
    const uint64_t bytes = cpu.back().numel() * cpu.back().element_size();
    header[name] = {{"dtype", from_torch_dtype(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data section is 8-byte aligned
  write_atomically(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    DELREC_CHECK(out.good(), "cannot write {}: {}", tmp.string(), std::strerror(errno));
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : cpu)
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    out.close();
    DELREC_CHECK(out.good(), "error while writing {} (disk full?)", tmp.string());
  });
}

}  // namespace delrec::llm
