#include "core/data/title_cleanup.h"

#include <algorithm>
#include <iterator>
#include <charconv>

#include "core/llm/utf8.h"

namespace delrec::data {
namespace {

struct Entity {
  std::string_view name;
  char32_t code_point;
};

// &nbsp; is a plain space on purpose: step 2 then folds it with its neighbours.
constexpr Entity kEntities[] = {
    {"amp", U'&'},       {"lt", U'<'},        {"gt", U'>'},       {"quot", U'"'},      {"apos", U'\''},
    {"nbsp", U' '},      {"ndash", 0x2013},   {"mdash", 0x2014},  {"lsquo", 0x2018},   {"rsquo", 0x2019},
    {"sbquo", 0x201A},   {"ldquo", 0x201C},   {"rdquo", 0x201D},  {"hellip", 0x2026},  {"bull", 0x2022},
    {"middot", 0x00B7},  {"deg", 0x00B0},     {"times", 0x00D7},  {"reg", 0x00AE},     {"trade", 0x2122},
    {"copy", 0x00A9},    {"frac14", 0x00BC},  {"frac12", 0x00BD}, {"frac34", 0x00BE},  {"cent", 0x00A2},
    {"pound", 0x00A3},   {"euro", 0x20AC},    {"sup2", 0x00B2},   {"micro", 0x00B5},   {"laquo", 0x00AB},
    {"raquo", 0x00BB},   {"iexcl", 0x00A1},   {"iquest", 0x00BF}, {"szlig", 0x00DF},   {"yuml", 0x00FF},
};

// Latin-1 capitals; each small letter is named in lower case and comes 0x20 later (Eacute U+00C9, eacute U+00E9).
constexpr Entity kLatin1Capitals[] = {
    {"Agrave", 0xC0}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Atilde", 0xC3}, {"Auml", 0xC4},   {"Aring", 0xC5},
    {"AElig", 0xC6},  {"Ccedil", 0xC7}, {"Egrave", 0xC8}, {"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Euml", 0xCB},
    {"Igrave", 0xCC}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Iuml", 0xCF},   {"Ntilde", 0xD1}, {"Ograve", 0xD2},
    {"Oacute", 0xD3}, {"Ocirc", 0xD4},  {"Otilde", 0xD5}, {"Ouml", 0xD6},   {"Oslash", 0xD8}, {"Ugrave", 0xD9},
    {"Uacute", 0xDA}, {"Ucirc", 0xDB},  {"Uuml", 0xDC},   {"Yacute", 0xDD},
};

constexpr size_t kLongestEntity = 8;  // "#1114111", "#x10FFFF"

constexpr std::string_view kArticles[] = {"A",  "An",  "The", "La",  "Le",  "Les", "L'",   "Il", "Lo",
                                          "Gli", "El", "Los", "Las", "Un",  "Une", "Una", "Das",  "Der", "Die",
                                          "Ein", "Eine", "De", "Het", "Den", "Det"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// "eacute" for "Eacute", "aelig" for "AElig".
bool is_lower_case_of(std::string_view lower, std::string_view name) {
  return lower.size() == name.size() && std::equal(lower.begin(), lower.end(), name.begin(), [](char a, char b) {
           return a == ((b >= 'A' && b <= 'Z') ? static_cast<char>(b - 'A' + 'a') : b);
         });
}

// The code point `name` (between '&' and ';') stands for; false for unknown names and invalid numbers.
bool entity_code_point(std::string_view name, char32_t& cp) {
  if (!name.empty() && name[0] == '#') {
    const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    const std::string_view digits = name.substr(hex ? 2 : 1);
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return false;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
    cp = v;
    return true;
  }
  for (const Entity& e : kEntities)
    if (e.name == name) return cp = e.code_point, true;
  for (const Entity& e : kLatin1Capitals) {
    if (e.name == name) return cp = e.code_point, true;
    if (is_lower_case_of(name, e.name)) return cp = e.code_point + 0x20, true;
  }
  return false;
}

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t semicolon = s[i] == '&' ? s.find(';', i + 1) : std::string_view::npos;
    char32_t cp = 0;
    if (semicolon != std::string_view::npos && semicolon - i - 1 <= kLongestEntity &&
        entity_code_point(s.substr(i + 1, semicolon - i - 1), cp)) {
      llm::utf8_append(&out, cp);
      i = semicolon + 1;
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;  // whitespace seen since the last character written
  for (char c : s) {
    if (is_space(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// "Matrix, The" -> "The Matrix", "Avventura, L'" -> "L'Avventura"; text without a trailing article is unchanged.
std::string article_first(std::string_view s) {
  const size_t comma = s.rfind(", ");
  if (comma == std::string_view::npos || comma == 0) return std::string(s);
  const std::string_view article = s.substr(comma + 2);
  if (std::find(std::begin(kArticles), std::end(kArticles), article) == std::end(kArticles)) return std::string(s);
  return std::string(article) + (article.back() == '\'' ? "" : " ") + std::string(s.substr(0, comma));
}

// Step 3 on "Main title (part) (part)": the main title, then each parenthesised part, also after an "a.k.a.".
// A rest that is not a plain sequence of " (...)" parts (nested parentheses, text after them) is kept as it is.
std::string move_articles(std::string_view title) {
  const size_t open = title.find(" (");
  std::string out = article_first(title.substr(0, open));
  if (open == std::string_view::npos) return out;
  std::string parts;
  for (size_t i = open; i < title.size();) {
    const size_t close = title.find(')', i + 2);
    if (title.substr(i, 2) != " (" || close == std::string_view::npos ||
        title.substr(i + 2, close - i - 2).find('(') != std::string_view::npos)
      return out + std::string(title.substr(open));
    std::string_view part = title.substr(i + 2, close - i - 2);
    constexpr std::string_view kAka = "a.k.a. ";
    const bool aka = part.substr(0, kAka.size()) == kAka;
    if (aka) part.remove_prefix(kAka.size());
    parts += " (" + std::string(aka ? kAka : "") + article_first(part) + ")";
    i = close + 1;
  }
  return out + parts;
}

}  // namespace

std::string clean_title(std::string_view title) { return move_articles(collapse_whitespace(decode_entities(title))); }

}  // namespace delrec::data
