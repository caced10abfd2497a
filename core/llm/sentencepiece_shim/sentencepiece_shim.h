/* A plain C interface to libsentencepiece, built as its own shared module (delrec_sentencepiece).
 *
 * Why: Debian's libsentencepiece embeds protobuf 3.14 and exports its symbols, while LibTorch loads protobuf 3.21;
 * linking both into one process crashes at start-up. delrec therefore never links libsentencepiece: it loads this
 * module with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), so the module resolves protobuf from its own dependencies and
 * nothing of it leaks into the global symbol table. Only C types cross the boundary.
 *
 * Every function returning int returns 0 on success; on failure the message is in delrec_sp_last_error(). */
#ifndef DELREC_SENTENCEPIECE_SHIM_H_
#define DELREC_SENTENCEPIECE_SHIM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct delrec_sp delrec_sp;

/* Loads a tokenizer.model; NULL on failure. */
delrec_sp* delrec_sp_load(const char* model_path);
void delrec_sp_free(delrec_sp* sp);
/* Encodes UTF-8 text (without BOS/EOS) into *ids (malloc'ed, released with delrec_sp_free_buffer). */
int delrec_sp_encode(delrec_sp* sp, const char* text, size_t text_len, int32_t** ids, size_t* n_ids);
/* Decodes ids into *text (malloc'ed, NUL-terminated, released with delrec_sp_free_buffer). */
int delrec_sp_decode(delrec_sp* sp, const int32_t* ids, size_t n_ids, char** text, size_t* text_len);
void delrec_sp_free_buffer(void* buffer);
int32_t delrec_sp_piece_size(const delrec_sp* sp);
int32_t delrec_sp_bos_id(const delrec_sp* sp); /* -1 when the model has none */
int32_t delrec_sp_eos_id(const delrec_sp* sp);
/* The message of the last failure on this thread. */
const char* delrec_sp_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* DELREC_SENTENCEPIECE_SHIM_H_ */
