#include "core/llm/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "core/llm/sentencepiece_shim/sentencepiece_shim.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::llm {

// The module's C functions, resolved once per process.
struct SentencePieceTokenizer::Module {
  decltype(&delrec_sp_load) load;
  decltype(&delrec_sp_free) free;
  decltype(&delrec_sp_encode) encode;
  decltype(&delrec_sp_decode) decode;
  decltype(&delrec_sp_free_buffer) free_buffer;
  decltype(&delrec_sp_piece_size) piece_size;
  decltype(&delrec_sp_bos_id) bos_id;
  decltype(&delrec_sp_eos_id) eos_id;
  decltype(&delrec_sp_last_error) last_error;
};

namespace {

constexpr const char* kModuleName = "libdelrec_sentencepiece.so";

template <typename F>
void resolve(void* lib, const char* name, F* out, const fs::path& path) {
  *out = reinterpret_cast<F>(::dlsym(lib, name));
  DELREC_CHECK(*out != nullptr, "{}: missing symbol {} (rebuild delrec_sentencepiece)", path.string(), name);
}

std::shared_ptr<SentencePieceTokenizer::Module> load_module() {
  static std::mutex mutex;
  static std::shared_ptr<SentencePieceTokenizer::Module> module;
  std::lock_guard<std::mutex> lock(mutex);
  if (module) return module;
  const fs::path path = SentencePieceTokenizer::find_module();
  // RTLD_LOCAL keeps the module's symbols (and its protobuf) out of the global namespace; RTLD_DEEPBIND makes the
  // module resolve its own dependencies first instead of LibTorch's protobuf.
  void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  DELREC_CHECK(lib != nullptr, "cannot load the SentencePiece module {}: {}", path.string(), ::dlerror());
  auto m = std::make_shared<SentencePieceTokenizer::Module>();
  resolve(lib, "delrec_sp_load", &m->load, path);
  resolve(lib, "delrec_sp_free", &m->free, path);
  resolve(lib, "delrec_sp_encode", &m->encode, path);
  resolve(lib, "delrec_sp_decode", &m->decode, path);
  resolve(lib, "delrec_sp_free_buffer", &m->free_buffer, path);
  resolve(lib, "delrec_sp_piece_size", &m->piece_size, path);
  resolve(lib, "delrec_sp_bos_id", &m->bos_id, path);
  resolve(lib, "delrec_sp_eos_id", &m->eos_id, path);
  resolve(lib, "delrec_sp_last_error", &m->last_error, path);
  module = m;  // the library stays loaded for the life of the process
  return module;
}

}  // namespace

fs::path SentencePieceTokenizer::find_module() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("DELREC_SENTENCEPIECE_MODULE")) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / kModuleName);
#ifdef DELREC_SENTENCEPIECE_MODULE_PATH
  candidates.emplace_back(DELREC_SENTENCEPIECE_MODULE_PATH);
#endif
  for (const auto& c : candidates)
    if (fs::exists(c)) return c;
  std::string tried;
  for (const auto& c : candidates) tried += " " + c.string();
  throw Error(fmt::format("SentencePiece tokenizers need the module {} (built when libsentencepiece-dev is installed); "
                          "not found at:{}. Install libsentencepiece-dev and rebuild, or set "
                          "DELREC_SENTENCEPIECE_MODULE to its path.", kModuleName, tried));
}

SentencePieceTokenizer::SentencePieceTokenizer(const fs::path& model_file)
    : module_(load_module()), source_(model_file.string()) {
  DELREC_CHECK(fs::exists(model_file), "{}: no such file", source_);
  handle_ = module_->load(model_file.c_str());
  DELREC_CHECK(handle_ != nullptr, "{}: not a valid SentencePiece model: {}", source_, module_->last_error());
}

SentencePieceTokenizer::~SentencePieceTokenizer() { module_->free(static_cast<delrec_sp*>(handle_)); }

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text, bool add_special) const {
  int32_t* ids = nullptr;
  size_t n = 0;
  DELREC_CHECK(module_->encode(static_cast<delrec_sp*>(handle_), text.data(), text.size(), &ids, &n) == 0,
               "{}: encode failed: {}", source_, module_->last_error());
  std::vector<int64_t> out;
  if (add_special && bos_id() >= 0) out.push_back(bos_id());
  out.insert(out.end(), ids, ids + n);
  module_->free_buffer(ids);
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int32_t> in;
  for (int64_t id : ids) {
    DELREC_CHECK(id >= 0 && id < vocab_size(), "token id {} is outside the vocabulary of {} ({})", id, vocab_size(),
                 source_);
    in.push_back(static_cast<int32_t>(id));
  }
  char* text = nullptr;
  size_t len = 0;
  DELREC_CHECK(module_->decode(static_cast<delrec_sp*>(handle_), in.data(), in.size(), &text, &len) == 0,
               "{}: decode failed: {}", source_, module_->last_error());
  std::string out(text, len);
  module_->free_buffer(text);
  return out;
}

int64_t SentencePieceTokenizer::vocab_size() const { return module_->piece_size(static_cast<delrec_sp*>(handle_)); }
int64_t SentencePieceTokenizer::bos_id() const { return module_->bos_id(static_cast<delrec_sp*>(handle_)); }
int64_t SentencePieceTokenizer::eos_id() const { return module_->eos_id(static_cast<delrec_sp*>(handle_)); }

}  // namespace delrec::llm
