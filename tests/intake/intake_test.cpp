// Invariant 5 for answers: unknown facts, wrong types, out-of-range numbers and values outside an
// enum or set are refused with a message that names the fact and what was expected.
#include <catch2/catch.hpp>

#include "support.hpp"

namespace triage {

TEST_CASE("bad answers are refused with the fact and the expectation", "[intake][invariant]") {
  struct Case {
    std::string answers;
    std::string message;
  };
  auto c = GENERATE(values<Case>({
      {R"({"nigth_pain": true})", "unknown fact `nigth_pain`; did you mean `night_pain`?"},
      {R"({"favourite_colour": "red"})", "unknown fact `favourite_colour`"},
      {R"({"night_pain": "yes"})", "`night_pain` expects true or false, got \"yes\""},
      {R"({"night_pain": 1})", "`night_pain` expects true or false, got 1"},
      {R"({"pain_intensity": 11})", "`pain_intensity` expects a whole number from 0 to 10, got 11"},
      {R"({"pain_intensity": -1})", "`pain_intensity` expects a whole number from 0 to 10, got -1"},
      {R"({"pain_intensity": 3.5})", "`pain_intensity` expects a whole number from 0 to 10, got 3.5"},
      {R"({"pain_intensity": "7"})", "`pain_intensity` expects a whole number from 0 to 10, got \"7\""},
      {R"({"onset": "quick"})", "`onset` expects one of sudden, gradual, got \"quick\""},
      {R"({"pain_areas": ["knee"]})",
       "`pain_areas` expects a list of values from neck, upper_back, mid_back, lower_back, buttock, "
       "leg_above_knee, leg_below_knee; \"knee\" is not one of them"},
      {R"({"pain_areas": "lower_back"})",
       "`pain_areas` expects a list of values from neck, upper_back, mid_back, lower_back, buttock, "
       "leg_above_knee, leg_below_knee, got \"lower_back\""},
      {R"({"leg_pain": true})", "`leg_pain` is worked out from other answers and cannot be answered directly"},
  }));
  const CompiledRuleset& ruleset = test::shipped();
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(R"({"answers": )" + c.answers + "}", raw, error));
  IntakeResult result = validate_answers(ruleset, raw);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].message == c.message);
  CHECK(!result.errors[0].fact.empty());
}

TEST_CASE("every bad answer is reported, not only the first", "[intake]") {
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(R"({"answers": {"onset": "quick", "pain_intensity": 99, "night_pain": false}})", raw,
                            error));
  IntakeResult result = validate_answers(test::shipped(), raw);
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[0].fact == "onset");
  CHECK(result.errors[1].fact == "pain_intensity");
}

TEST_CASE("intake JSON of the wrong shape is refused", "[intake]") {
  struct Case {
    std::string json;
    std::string starts_with;
  };
  auto c = GENERATE(values<Case>({
      {"not json", "the intake is not valid JSON"},
      {R"({"night_pain": true})", "the intake must be a JSON object with an \"answers\" object"},
      {R"({"answers": [1, 2]})", "the intake must be a JSON object with an \"answers\" object"},
      {R"({"answers": {}, "extra": 1})", "unexpected key \"extra\""},
      {R"({"answers": {"pain_areas": [1]}})", "`pain_areas` must be a list of strings"},
      {R"({"answers": {"night_pain": null}})", "`night_pain` has no usable value"},
  }));
  std::vector<RawAnswer> raw;
  std::string error;
  CHECK_FALSE(parse_intake_json(c.json, raw, error));
  CHECK(error.rfind(c.starts_with, 0) == 0);
}

}  // namespace triage

#include "util/json_reader.hpp"

namespace triage {

TEST_CASE("the JSON reader reads what RFC 8259 allows and names what it refuses", "[intake][json]") {
  JsonValue value;
  std::string error;
  REQUIRE(read_json(R"( {"a": [1, -2.5e1, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n"} )", value, error));
  REQUIRE(value.kind == JsonValue::Kind::object);
  REQUIRE(value.object.size() == 2);
  CHECK(value.object[0].second.array[1].number == -25.0);
  CHECK(value.object[1].second.string == "x\"\xC3\xA9\xF0\x9F\x98\x80\n");
  struct Case {
    std::string text;
    std::string error;
  };
  auto c = GENERATE(values<Case>({
      {"", "unexpected end of input at byte 1"},
      {"{\"a\": 1,}", "expected a key in double quotes at byte 9"},
      {"{\"a\": 1, \"a\": 2}", "duplicate key at byte 13"},
      {"[1 2]", "expected `,` or `]` at byte 4"},
      {"\"abc", "unterminated string at byte 5"},
      {"{} x", "unexpected text after the JSON value at byte 4"},
      {"tru", "unexpected character at byte 1"},
      {"01", "a number cannot start with 0 at byte 2"},
      {R"("\ud800A")", "high surrogate without its low half at byte 8"},
      {R"("\udc00")", "lone low surrogate in a \\u escape at byte 8"},
  }));
  INFO(c.text);
  CHECK_FALSE(read_json(c.text, value, error));
  CHECK(error == c.error);
}

}  // namespace triage

namespace triage {

TEST_CASE("a set with min_choices refuses fewer values, naming the fact", "[intake][invariant]") {
  auto ruleset = test::load_texts({{"a.rules", R"(
fact areas: set of {back, leg}
  question "Where does it hurt?"
  min_choices 1
fact kit: set of {ball}
  question "What do you have?"
  default {}
red_flag f: leg in areas -> refer routine reason "r" sources "001"
plan
  phases release
  max_per_phase 2
  max_total 2
  equipment_fact kit
  area_fact areas
  reason "r"
  sources "001"
)"}});
  REQUIRE(ruleset != nullptr);
  auto refused = [&](const std::string& answers) {
    std::vector<RawAnswer> raw;
    std::string error;
    REQUIRE(parse_intake_json(R"({"answers": )" + answers + "}", raw, error));
    return validate_answers(*ruleset, raw).errors;
  };
  auto errors = refused(R"({"areas": []})");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].fact == "areas");
  CHECK(errors[0].message == "`areas` expects at least 1 value from back, leg, got none");
  CHECK(refused(R"({"areas": ["back"]})").empty());
  CHECK(refused(R"({"kit": []})").empty());  // no min_choices: "none of these" is an answer
}

}  // namespace triage

#include "support.hpp"

namespace triage {

TEST_CASE("a duplicate key is found wherever it falls, below, at and past the scan's size and each growth of the key index", "[intake][json]") {
  struct Case {
    int keys;       // distinct keys before the repeated one
    int repeated;   // which of them is repeated (its index)
  };
  auto c = GENERATE(values<Case>({{15, 0}, {15, 14}, {16, 0}, {16, 15}, {17, 16}, {31, 30}, {32, 0}, {33, 32},
                                  {64, 63}, {65, 1}, {200, 199}, {1000, 500}, {4096, 4095}}));
  std::string json = "{";
  for (int i = 0; i < c.keys; ++i) json += (i == 0 ? "\"k" : ", \"k") + std::to_string(i) + "\": " + std::to_string(i);
  JsonValue value;
  std::string error;
  REQUIRE(read_json(json + "}", value, error));
  REQUIRE(value.object.size() == static_cast<std::size_t>(c.keys));
  CHECK(value.object.back().first == "k" + std::to_string(c.keys - 1));
  INFO(c.keys << " keys, k" << c.repeated << " repeated");
  std::string repeated = json + ", \"k" + std::to_string(c.repeated) + "\": 0}";
  CHECK_FALSE(read_json(repeated, value, error));
  // the error names the byte just after the repeated key
  CHECK(error == "duplicate key at byte " + std::to_string(repeated.size() - 3));
  // an escaped spelling of the same key is the same key
  std::string escaped = json + ", \"\\u006b" + std::to_string(c.repeated) + "\": 0}";
  CHECK_FALSE(read_json(escaped, value, error));
  CHECK(error.rfind("duplicate key", 0) == 0);
}

TEST_CASE("an intake with very many keys is read in linear time; a duplicate is still found", "[intake][json][limits]") {
  std::string json = "{\"answers\": {";
  for (int i = 0; i < 50000; ++i) json += (i == 0 ? "\"k" : ", \"k") + std::to_string(i) + "\": true";
  std::string duplicated = json + ", \"k49999\": false}}";
  json += "}}";
  auto start = std::chrono::steady_clock::now();
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(json, raw, error));
  CHECK(raw.size() == 50000);
  CHECK(test::seconds_since(start) < test::time_budget(1.0));  // quadratic: 6 s

  raw.clear();
  CHECK_FALSE(parse_intake_json(duplicated, raw, error));
  CHECK(error.find("duplicate key") != std::string::npos);
  // The validation of 50,000 unknown facts (each with its "did you mean") stays linear too.
  start = std::chrono::steady_clock::now();
  raw.clear();
  REQUIRE(parse_intake_json(json, raw, error));
  IntakeResult intake = validate_answers(test::shipped(), raw);
  CHECK(intake.errors.size() == 50000);
  CHECK(test::seconds_since(start) < test::time_budget(3.0));
}

}  // namespace triage
