#include "core/data/readers/python_literal.h"

#include <gtest/gtest.h>

#include <string>

#include "core/util/error.h"
#include "core/util/json_input.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

using nlohmann::json;

std::string error_of(const std::string& text) {
  return test::error_message([&] { parse_python_literal(text); });
}

// The expected values are what Python 3's ast.literal_eval gives for the same text.
TEST(PythonLiteral, ReadsWhatReprWrites) {
  EXPECT_EQ(parse_python_literal(
                "{'asin': '0000031852', 'title': 'Girls Ballet Tutu', 'price': 3.17, 'salesRank': {'Toys & Games': "
                "211836}, 'categories': [['Sports & Outdoors', 'Dance']], 'early_access': False, 'x': None}"),
            json({{"asin", "0000031852"},
                  {"title", "Girls Ballet Tutu"},
                  {"price", 3.17},
                  {"salesRank", {{"Toys & Games", 211836}}},
                  {"categories", json::array({json::array({"Sports & Outdoors", "Dance"})})},
                  {"early_access", false},
                  {"x", nullptr}}));
  EXPECT_EQ(parse_python_literal("{u'app_name': u'Caf\\xe9', u'id': u'761140', u'ok': True}"),
            json({{"app_name", "Caf\xC3\xA9"}, {"id", "761140"}, {"ok", true}}));
  EXPECT_EQ(parse_python_literal("  [1, -2, +3, 9223372036854775807, -9223372036854775808, ]  "),
            json::parse("[1, -2, 3, 9223372036854775807, -9223372036854775808]"));
  EXPECT_EQ(parse_python_literal("[1e3, .5, 2., -0.25, 1E-2]"), json::parse("[1000.0, 0.5, 2.0, -0.25, 0.01]"));
  EXPECT_TRUE(parse_python_literal("[1.0]")[0].is_number_float());
  EXPECT_TRUE(parse_python_literal("[1]")[0].is_number_integer());
}

TEST(PythonLiteral, TuplesAreArraysAndParenthesesGroup) {
  EXPECT_EQ(parse_python_literal("()"), json::array());
  EXPECT_EQ(parse_python_literal("(1,)"), json::array({1}));
  EXPECT_EQ(parse_python_literal("(1, 'a', (2, 3))"), json::parse(R"([1, "a", [2, 3]])"));
  EXPECT_EQ(parse_python_literal("(7)"), json(7));  // no comma: not a tuple
  EXPECT_EQ(parse_python_literal("{}"), json::object());
  EXPECT_EQ(parse_python_literal("{'a': 1, 'a': 2,}"), json({{"a", 2}}));  // the last value wins, as in Python
}

TEST(PythonLiteral, StringQuotesAndEscapes) {
  EXPECT_EQ(parse_python_literal(R"("Owl's Errand")"), json("Owl's Errand"));
  EXPECT_EQ(parse_python_literal(R"('say \'hi\' and \"bye\"')"), json("say 'hi' and \"bye\""));
  EXPECT_EQ(parse_python_literal(R"('a\\b\nc\td\re')"), json("a\\b\nc\td\re"));
  EXPECT_EQ(parse_python_literal(R"('\a\b\f\v')"), json("\a\b\f\v"));
  EXPECT_EQ(parse_python_literal(R"('\x41\101\0')"), json(std::string("AA\0", 3)));  // hex, octal, NUL
  EXPECT_EQ(parse_python_literal(R"(u'\u2122 \u00e9 \U0001F600')"), json("\xE2\x84\xA2 \xC3\xA9 \xF0\x9F\x98\x80"));
  // Python 2 narrow builds print astral characters as surrogate pairs: joined into one code point.
  EXPECT_EQ(parse_python_literal(R"(u'\ud83c\udfb5')"), json("\xF0\x9F\x8E\xB5"));
  EXPECT_EQ(parse_python_literal("'Best soundtrack \xF0\x9F\x8E\xB5'"), json("Best soundtrack \xF0\x9F\x8E\xB5"));
  EXPECT_EQ(parse_python_literal("U\"x\""), json("x"));
}

TEST(PythonLiteral, ErrorsGiveColumnAndExcerpt) {
  EXPECT_EQ(error_of("{'a': 1, 'b' 2}"), "column 14: expected ':' after the dict key; near '2}'");
  EXPECT_EQ(error_of("{'title': 'unterminated}"), "column 11: unterminated string; near ''unterminated}'");
  EXPECT_EQ(error_of("[1 2]"), "column 4: expected ',' or ']'; near '2]'");
  const std::string long_tail(100, 'x');
  EXPECT_EQ(error_of("[1, " + long_tail + "]"),
            "column 5: '" + long_tail + "' is not a literal (the only names are True, False and None); near '" +
                long_tail.substr(0, 40) + "...'");
}

TEST(PythonLiteral, RefusesWhatIsNotALiteral) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "column 1: expected a value, found the end of the text"},
      {"   ", "column 4: expected a value, found the end of the text"},
      {"{} x", "column 4: unexpected text after the value"},
      {"1 + 2", "column 3: unexpected text after the value"},
      {"{1: 2}", "column 2: dict key is not a string"},
      {"{'a', 'b'}", "column 5: expected ':' after the dict key"},  // a set
      {"{'a': 1", "column 8: expected ',' or '}'"},
      {"{'a': 1,", "column 9: unclosed '{'"},
      {"[1, 2", "column 6: expected ',' or ']'"},
      {"nan", "column 1: 'nan' is not a literal"},
      {"[inf]", "column 2: 'inf' is not a literal"},
      {"__import__('os')", "column 1: '__import__' is not a literal"},
      {"b'bytes'", "column 1: bytes, raw and formatted strings are not read"},
      {"r'\\d'", "column 1: bytes, raw and formatted strings are not read"},
      {"'\\d'", "column 2: unknown escape '\\d'"},
      {"'\\x4'", "column 2: escape needs 2 hex digits"},
      {"'\\uZZZZ'", "column 2: escape needs 4 hex digits"},
      {"'\\U00110000'", "column 2: escape beyond the last code point U+10FFFF"},
      {"u'\\ud800'", "column 3: unpaired UTF-16 surrogate"},
      {"u'\\ud800\\u0041'", "column 3: unpaired UTF-16 surrogate"},
      {"u'\\udc00'", "column 3: unpaired UTF-16 surrogate"},
      {"'caf\xE9'", "column 1: string is not valid UTF-8"},  // a Latin-1 byte
      {"'a\nb'", "column 1: unterminated string"},
      {"'abc\\", "column 1: unterminated string"},
      {"9223372036854775808", "column 1: integer beyond 64 bits"},
      {"1e309", "column 1: float beyond the range of a double"},
      {"0x10", "column 1: malformed number"},
      {"1_000", "column 1: malformed number"},
      {"10L", "column 1: malformed number"},
      {"1e", "column 1: malformed number"},
      {"-", "column 1: malformed number"},
      {"{'a': @}", "column 7: unexpected character '@'"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind(expected, 0), 0u) << "input: " << text << "\nmessage: " << msg;
  }
}

TEST(PythonLiteral, NestingIsLimited) {
  auto nested = [](int depth, char open, char close) {
    return std::string(depth, open) + std::string(depth, close);
  };
  EXPECT_NO_THROW(parse_python_literal(nested(kMaxJsonDepth, '[', ']')));
  EXPECT_NO_THROW(parse_python_literal(nested(kMaxJsonDepth, '(', ')')));
  const std::string expected = "column 129: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
  EXPECT_EQ(error_of(nested(kMaxJsonDepth + 1, '[', ']')).rfind(expected, 0), 0u);
  std::string dicts;
  for (int i = 0; i <= kMaxJsonDepth; ++i) dicts += "{'a': ";
  EXPECT_NE(error_of(dicts).find("nested deeper than"), std::string::npos);
  // A million levels is refused at level 129, without recursing further.
  EXPECT_EQ(error_of(std::string(1000000, '[')).rfind(expected, 0), 0u);
}

}  // namespace
}  // namespace delrec::data
