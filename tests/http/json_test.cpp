// SPDX-License-Identifier: MIT
#include "eddy/http/json.hpp"

#include "eddy/http/response.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

using eddy::http::json;

TEST(Json, BuildsAndSerializesInInsertionOrder) {
  json v{{"b", 1}, {"a", json::array({true, nullptr, 2.5, "x"})}, {"o", json::object()}};
  EXPECT_EQ(v.dump(), R"({"b":1,"a":[true,null,2.5,"x"],"o":{}})");
}

TEST(Json, EscapesStringsPerRfc8259) {
  json v(std::string("quote\" back\\ nl\n tab\t ctl\x01 utf8 \xC3\xA9"));
  EXPECT_EQ(v.dump(), "\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 utf8 \xC3\xA9\"");
}

// One byte at a time, as RFC 8259 7 says: the reference for the writer's word-at-a-time scan.
std::string escaped_slowly(const std::string& s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\b') out += "\\b";
    else if (c == '\f') out += "\\f";
    else if (c < 0x20) out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

TEST(Json, EscapesEveryByteAtEveryPositionLikeTheOneByteReference) {
  for (std::size_t len = 1; len <= 24; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'x');
        s[at] = static_cast<char>(b);
        if (at + 3 < len) s[at + 3] = '"';  // a second one behind it, in the same word or the next
        ASSERT_EQ(json(s).dump(), escaped_slowly(s)) << len << " " << at << " " << b;
      }
    }
  }
}

TEST(Json, NonFiniteNumbersBecomeNull) {
  json v = json::array({std::numeric_limits<double>::infinity(), std::nan("")});
  EXPECT_EQ(v.dump(), "[null,null]");
}

TEST(Json, ParsesNestedDocuments) {
  json v = json::parse(R"({"id": 7, "tags": ["a", "b"], "price": 1.5, "ok": true, "none": null,
                           "big": 18446744073709551615, "nested": {"k": "v"}})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.find("id")->as_int(), 7);
  EXPECT_EQ(v.find("tags")->as_array().size(), 2u);
  EXPECT_EQ(v.find("tags")->as_array()[1].as_string(), "b");
  EXPECT_DOUBLE_EQ(v.find("price")->as_double(), 1.5);
  EXPECT_TRUE(v.find("ok")->as_bool());
  EXPECT_TRUE(v.find("none")->is_null());
  EXPECT_TRUE(v.find("big")->is_double());
  EXPECT_EQ(v.find("nested")->find("k")->as_string(), "v");
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Json, RoundTripsThroughDump) {
  std::string text = R"({"a":[1,2,{"b":"c\"d"}],"e":-3})";
  EXPECT_EQ(json::parse(text).dump(), text);
}

TEST(Json, InvalidInputThrowsAParseErrorNamingTheProblem) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "nul", "\"\xff\"", "01"}) {
    EXPECT_THROW(json::parse(bad), eddy::http::json_parse_error) << bad;
  }
}

TEST(Json, WrongTypeAccessThrows) {
  json v = json::parse("[1]");
  EXPECT_THROW(v.as_string(), std::invalid_argument);
  EXPECT_THROW(v.as_object(), std::invalid_argument);
}

// Found by fuzzing: 5.5e20 was written as "550551555505515500000", which no parser reads back
// (past 2^64), and an integral double came back as an integer.
TEST(Json, IntegralDoublesSerializeAsDoublesAndParseBack) {
  EXPECT_EQ(json(3.0).dump(), "3.0");
  EXPECT_EQ(json(-2.0).dump(), "-2.0");
  EXPECT_EQ(json(2.5).dump(), "2.5");
  EXPECT_EQ(json(1e300).dump(), "1e+300");
  json big = json::parse("5505515555055155E5");
  ASSERT_TRUE(big.is_double());
  json again = json::parse(big.dump());
  EXPECT_TRUE(again.is_double());
  EXPECT_EQ(again, big);
  EXPECT_TRUE(json::parse(json(3.0).dump()).is_double());
}

TEST(Json, ObjectMembersAreSeparatedRightWhateverTheirKeys) {
  const std::string long_key(70, 'k');  // past the short path
  json o{{"a", 1}, {"needs \"escape\"", "v"}, {long_key, json::object()}, {"", json::array({1, json::object()})}};
  EXPECT_EQ(o.dump(), "{\"a\":1,\"needs \\\"escape\\\"\":\"v\",\"" + long_key + "\":{},\"\":[1,{}]}");
  EXPECT_EQ(json::object().dump(), "{}");
  EXPECT_EQ(json::parse(o.dump()), o);
}

TEST(JsonFields, WriteTheSameTextAsTheTreeForEveryKindOfValue) {
  using eddy::http::json_dump_fields;
  const std::string name = "needs \"escape\"\n";
  const json nested{{"a", json::array({1, 2})}};
  std::string out;
  json_dump_fields(out, {{"null", nullptr},
                         {"t", true},
                         {"i", -7},
                         {"u", 42u},
                         {"big", std::int64_t{1} << 60},
                         {"d", 2.5},
                         {"whole", 3.0},
                         {"nan", std::nan("")},
                         {"lit", "x"},
                         {"str", name},
                         {"sv", std::string_view("sv")},
                         {"tmp", "user " + std::to_string(7)},
                         {"nested", nested},
                         {"inline", {{"k", 1}}},
                         {name, 0}});
  const json tree{{"null", nullptr},       {"t", true},     {"i", -7},       {"u", 42u},
                  {"big", std::int64_t{1} << 60}, {"d", 2.5}, {"whole", 3.0}, {"nan", std::nan("")},
                  {"lit", "x"},            {"str", name},   {"sv", "sv"},    {"tmp", "user 7"},
                  {"nested", nested},      {"inline", json{{"k", 1}}},       {name, 0}};
  EXPECT_EQ(out, tree.dump());
  EXPECT_EQ(json::parse(out).find("str")->as_string(), name);
}

TEST(JsonFields, UnsignedValuesPastInt64AreWrittenExactly) {
  std::string out;
  eddy::http::json_dump_fields(out, {{"max", std::numeric_limits<std::uint64_t>::max()}, {"min", INT64_MIN}});
  EXPECT_EQ(out, R"({"max":18446744073709551615,"min":-9223372036854775808})");
}

TEST(Json, UnsignedValuesPastInt64AreNumbersNotNegativeIntegers) {
  // As json::parse holds such a number: a double (they used to wrap to -1).
  const json big(std::numeric_limits<std::uint64_t>::max());
  ASSERT_TRUE(big.is_double());
  EXPECT_EQ(big.as_double(), 18446744073709551615.0);
  EXPECT_EQ(big, json::parse("18446744073709551615"));
  EXPECT_EQ(big.dump().front(), '1');
  const json edge(static_cast<std::uint64_t>(INT64_MAX));
  ASSERT_TRUE(edge.is_int());
  EXPECT_EQ(edge.as_int(), INT64_MAX);
  EXPECT_TRUE(json(4000000000u).is_int());  // 32-bit unsigned values always fit
}

TEST(JsonFields, AnEmptyListIsAnEmptyObjectAndTextIsAppended) {
  std::string out = "[";
  eddy::http::json_dump_fields(out, {});
  EXPECT_EQ(out, "[{}");
}

TEST(JsonFields, ResponseJsonTakesABracedListAsFieldsAndAValueAsATree) {
  using eddy::http::response;
  const response fields = response::json({{"message", "Hello, World!"}, {"id", 7}}, 201);
  EXPECT_EQ(fields.body(), R"({"message":"Hello, World!","id":7})");
  EXPECT_EQ(fields.status(), 201);
  EXPECT_EQ(fields.content_type(), "application/json");
  const json tree{{"list", json::array({1})}};
  EXPECT_EQ(response::json(tree).body(), R"({"list":[1]})");
  EXPECT_EQ(response::json(json::array({1, "a"})).body(), R"([1,"a"])");
  EXPECT_EQ(response::json({}).body(), "{}");
}
