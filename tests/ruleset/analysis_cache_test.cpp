// The analysis cache: an entry gives back exactly the report it stored; entries that are not
// private to this user, were written by another build, name another ruleset or were altered are
// ignored; concurrent writers never leave a torn entry.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ruleset/analysis_cache.hpp"
#include "ruleset/open.hpp"
#include "support.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

struct CacheFixture {
  fs::path folder = fs::temp_directory_path() / ("triage-cache-test-" + new_decision_id()) / "triage";
  OpenedRuleset opened;
  std::string hash;

  CacheFixture() {
    std::string error;
    // A ruleset with findings of every kind of field (witness, shows, hints).
    REQUIRE(open_ruleset(test::source_path("tests/analyze/golden/red_flag_question_with_default"), opened, error));
    REQUIRE(opened.ruleset);
    REQUIRE_FALSE(opened.analysis.findings.empty());
    hash = opened.ruleset->model->hash;
  }
  ~CacheFixture() {
    std::error_code ignored;
    fs::remove_all(folder.parent_path(), ignored);
  }
  fs::path entry() const { return folder / (hash.substr(7) + ".analysis"); }
};

std::string rendered(const AnalysisReport& report) { return findings_json(report) + std::to_string(report.intakes_searched); }

}  // namespace

TEST_CASE("a cached analysis is the analysis it stored", "[ruleset][cache]") {
  CacheFixture fixture;
  AnalysisCache cache(fixture.folder.string(), "build-1");
  AnalysisReport loaded;
  CHECK_FALSE(cache.load(fixture.hash, loaded));
  cache.store(fixture.hash, fixture.opened.analysis);
  REQUIRE(cache.load(fixture.hash, loaded));
  CHECK(rendered(loaded) == rendered(fixture.opened.analysis));
  CHECK((fs::status(fixture.folder).permissions() & fs::perms::all) == fs::perms::owner_all);

  // open_ruleset takes it from the cache: a planted (but well-formed) entry shows it is used.
  AnalysisReport planted = fixture.opened.analysis;
  planted.intakes_searched = 424242;
  cache.store(fixture.hash, planted);
  OpenedRuleset again;
  std::string error;
  REQUIRE(open_ruleset(test::source_path("tests/analyze/golden/red_flag_question_with_default"), again, error, &cache));
  CHECK(again.analysis.intakes_searched == 424242);
}

TEST_CASE("entries that cannot be trusted are ignored", "[ruleset][cache]") {
  CacheFixture fixture;
  AnalysisCache cache(fixture.folder.string(), "build-1");
  cache.store(fixture.hash, fixture.opened.analysis);
  std::string good = test::read_file(fixture.entry().string());
  AnalysisReport loaded;
  auto rewrite = [&](const std::string& text) {
    std::ofstream(fixture.entry(), std::ios::binary | std::ios::trunc) << text;
    fs::permissions(fixture.entry(), fs::perms::owner_read | fs::perms::owner_write);
  };

  SECTION("another build of the analysis") { CHECK_FALSE(AnalysisCache(fixture.folder.string(), "build-2").load(fixture.hash, loaded)); }
  SECTION("a finding removed by hand (checksum no longer matches)") {
    std::string text = good;
    auto at = text.find("red-flag-safety");
    REQUIRE(at != std::string::npos);
    text.replace(at, 15, "unused_________");
    rewrite(text);
    CHECK_FALSE(cache.load(fixture.hash, loaded));
  }
  SECTION("truncated") {
    rewrite(good.substr(0, good.size() / 2));
    CHECK_FALSE(cache.load(fixture.hash, loaded));
  }
  SECTION("another ruleset's entry under this ruleset's name") {
    std::string other = "sha256:" + std::string(64, 'a');
    fs::copy_file(fixture.entry(), fixture.folder / (std::string(64, 'a') + ".analysis"));
    CHECK_FALSE(cache.load(other, loaded));
  }
  SECTION("writable by others") {
    fs::permissions(fixture.entry(), fs::perms::group_write | fs::perms::others_write, fs::perm_options::add);
    CHECK_FALSE(cache.load(fixture.hash, loaded));
  }
  SECTION("a folder others may write") {
    fs::permissions(fixture.folder, fs::perms::others_write, fs::perm_options::add);
    CHECK_FALSE(cache.load(fixture.hash, loaded));
  }
  SECTION("a symbolic link") {
    fs::path elsewhere = fixture.folder.parent_path() / "elsewhere";
    fs::rename(fixture.entry(), elsewhere);
    fs::create_symlink(elsewhere, fixture.entry());
    CHECK_FALSE(cache.load(fixture.hash, loaded));
  }
  SECTION("a hash that is not a sha256 name is never a path") {
    CHECK_FALSE(cache.load("sha256:../../etc/passwd", loaded));
    cache.store("sha256:../x", fixture.opened.analysis);
    CHECK_FALSE(fs::exists(fixture.folder.parent_path() / "x.analysis"));
  }
}

TEST_CASE("concurrent writers and readers never see a torn entry", "[ruleset][cache]") {
  CacheFixture fixture;
  AnalysisCache cache(fixture.folder.string(), "build-1");
  std::string expected = rendered(fixture.opened.analysis);
  std::atomic<int> torn{0}, hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        cache.store(fixture.hash, fixture.opened.analysis);
        AnalysisReport loaded;
        if (cache.load(fixture.hash, loaded)) {
          ++hits;
          if (rendered(loaded) != expected) ++torn;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(torn == 0);
  CHECK(hits == 200);  // a reader always finds a whole entry once one was written
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(fixture.folder)) ++files;
  CHECK(files == 1);  // no temporary files left behind
}

}  // namespace triage
