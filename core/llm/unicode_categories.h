#pragma once
// The Unicode classes the byte-level BPE split patterns use: \p{L}, \p{N} and \s.
namespace delrec::llm {

bool is_letter(char32_t cp);      // general category L* (Lu Ll Lt Lm Lo)
bool is_number(char32_t cp);      // general category N* (Nd Nl No)
bool is_whitespace(char32_t cp);  // White_Space property

}  // namespace delrec::llm
