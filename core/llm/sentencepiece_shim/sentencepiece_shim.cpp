// The delrec_sentencepiece module: libsentencepiece behind the C interface of sentencepiece_shim.h.
#include "sentencepiece_shim.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct delrec_sp {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {
thread_local std::string last_error;

int fail(const std::string& message) {
  last_error = message;
  return 1;
}
}  // namespace

extern "C" {

delrec_sp* delrec_sp_load(const char* model_path) {
  auto* sp = new delrec_sp;
  const auto status = sp->processor.Load(model_path);
  if (!status.ok()) {
    last_error = status.ToString();
    delete sp;
    return nullptr;
  }
  return sp;
}

void delrec_sp_free(delrec_sp* sp) { delete sp; }

int delrec_sp_encode(delrec_sp* sp, const char* text, size_t text_len, int32_t** ids, size_t* n_ids) {
  std::vector<int> out;
  const auto status = sp->processor.Encode(std::string(text, text_len), &out);
  if (!status.ok()) return fail(status.ToString());
  *n_ids = out.size();
  *ids = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * (out.empty() ? 1 : out.size())));
  if (*ids == nullptr) return fail("out of memory");
  for (size_t i = 0; i < out.size(); ++i) (*ids)[i] = out[i];
  return 0;
}

int delrec_sp_decode(delrec_sp* sp, const int32_t* ids, size_t n_ids, char** text, size_t* text_len) {
  std::vector<int> in(ids, ids + n_ids);
  for (int id : in)
    if (id < 0 || id >= sp->processor.GetPieceSize())
      return fail("token id " + std::to_string(id) + " is outside the vocabulary of " +
                  std::to_string(sp->processor.GetPieceSize()));
  std::string out;
  const auto status = sp->processor.Decode(in, &out);
  if (!status.ok()) return fail(status.ToString());
  *text = static_cast<char*>(std::malloc(out.size() + 1));
  if (*text == nullptr) return fail("out of memory");
  std::memcpy(*text, out.data(), out.size());
  (*text)[out.size()] = '\0';
  *text_len = out.size();
  return 0;
}

void delrec_sp_free_buffer(void* buffer) { std::free(buffer); }
int32_t delrec_sp_piece_size(const delrec_sp* sp) { return sp->processor.GetPieceSize(); }
int32_t delrec_sp_bos_id(const delrec_sp* sp) { return sp->processor.bos_id(); }
int32_t delrec_sp_eos_id(const delrec_sp* sp) { return sp->processor.eos_id(); }
const char* delrec_sp_last_error(void) { return last_error.c_str(); }

}  // extern "C"
