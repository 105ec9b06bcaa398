// cyrus.header, dlist and the cyrus.index peek (src/spool/{header,dlist,index_peek}).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "spool/dlist.hpp"
#include "spool/header.hpp"
#include "spool/index_peek.hpp"

using namespace ss;
using namespace ss::spool;

namespace {
std::string with_magic(std::string_view rest) {
  return std::string(kHeaderMagic) + std::string(rest);
}
}  // namespace

TEST_CASE("header: old text form (2.x-3.4)") {
  auto text = with_magic(
      "user.fred\t6b5c0e1a-77e3-4f21-9bd0-1c2a3b4c5d6e\n$Label1  Junk "
      "\nfred\tlrswipkxtecda\tanyone\tlrs\t\n");
  auto h = parse_header(bytes_of(text), "t");
  REQUIRE(h.ok());
  CHECK(h->form == HeaderForm::text);
  CHECK(h->quotaroot == "user.fred");
  CHECK(h->uniqueid == "6b5c0e1a-77e3-4f21-9bd0-1c2a3b4c5d6e");
  REQUIRE(h->user_flags.size() == 3);
  CHECK(h->user_flags[0] == "$Label1");
  CHECK(h->user_flags[1] == std::nullopt);
  CHECK(h->user_flags[2] == "Junk");
  REQUIRE(h->acl.size() == 2);
  CHECK(h->acl[1].first == "anyone");
  CHECK(h->acl[1].second == "lrs");
  CHECK(h->findings.empty());
  CHECK(h->name.empty());
}

TEST_CASE("header: ancient text form without uniqueid; truncated lines") {
  auto h = parse_header(bytes_of(with_magic("\n \n\n")), "t");
  REQUIRE(h.ok());
  CHECK(h->uniqueid.empty());
  CHECK(h->quotaroot.empty());

  auto t = parse_header(bytes_of(with_magic("user.fred\tabc\n")), "t");
  REQUIRE(t.ok());
  CHECK(t->uniqueid == "abc");
  CHECK(t->findings.has(Code::spool_header_truncated));

  auto u = parse_header(bytes_of(with_magic("user.fred\tabc")), "t");
  REQUIRE(u.ok());
  CHECK(u->findings.has(Code::spool_header_truncated));
}

TEST_CASE("header: dlist form (3.6+)") {
  auto text = with_magic(
      "%(T e N user.fred.Sent I 3f0b2c1a Q user.fred A %(fred lrswipkxtecdan anyone lrs) "
      "U ($Label1 NIL Junk))\n");
  auto h = parse_header(bytes_of(text), "t");
  REQUIRE(h.ok());
  CHECK(h->form == HeaderForm::dlist);
  CHECK(h->type == "e");
  CHECK(h->name == "user.fred.Sent");
  CHECK(h->uniqueid == "3f0b2c1a");
  CHECK(h->quotaroot == "user.fred");
  REQUIRE(h->acl.size() == 2);
  CHECK(h->acl[0].first == "fred");
  REQUIRE(h->user_flags.size() == 3);
  CHECK(h->user_flags[1] == std::nullopt);
  CHECK(h->user_flags[2] == "Junk");
}

TEST_CASE("header: dlist quoted strings and literals") {
  auto text = with_magic(
      "%(T e N \"user.fred.Work Projects\" I abc A %({4+}\r\nb\xC3\xA9"
      "b lrs))\n");
  auto h = parse_header(bytes_of(text), "t");
  REQUIRE(h.ok());
  CHECK(h->name == "user.fred.Work Projects");
  REQUIRE(h->acl.size() == 1);
  CHECK(h->acl[0].first ==
        "b\xC3\xA9"
        "b");
  auto q = parse_header(bytes_of(with_magic("%(N \"a\\\"b\\\\c\")\n")), "t");
  REQUIRE(q.ok());
  CHECK(q->name == "a\"b\\c");
}

TEST_CASE("header: bad magic and unparsable line 4") {
  auto h = parse_header(bytes_of("\xA1\x02\x8B\x0D"
                                 "Cyrus mailbox HEADER"),
                        "p");
  REQUIRE_FALSE(h.ok());
  CHECK(h.problem().code == Code::spool_header_bad_magic);
  CHECK(h.problem().place == "p");
  CHECK_FALSE(parse_header(ByteView(), "p").ok());
  CHECK(parse_header(bytes_of(kHeaderMagic), "p").problem().code == Code::spool_header_unparsable);
  for (const char* bad : {"%(N user.fred", "%(N {99}\r\nabc)", "%(N \"abc)", "%x", "%(((",
                          "%(N {}\r\n)", "%(N {99999999999999999999}\r\n)", "%(N)", "%( NIL x)"}) {
    auto r = parse_header(bytes_of(with_magic(bad)), "p");
    CHECK_FALSE(r.ok());
    if (!r.ok()) CHECK(r.problem().code == Code::spool_header_unparsable);
  }
  CHECK(parse_header(bytes_of(with_magic(std::string("a\x01"
                                                     "b\tid\n",
                                                     7))),
                     "p")
            .problem()
            .code == Code::spool_header_unparsable);
}

TEST_CASE("header: every truncation of a valid header is handled") {
  auto text = with_magic("%(T e N user.fred I abc A %(fred lrs) U (a NIL {3}\r\nxyz))\n");
  for (std::size_t n = 0; n <= text.size(); ++n) {
    auto r = parse_header(bytes_of(std::string_view(text).substr(0, n)), "p");
    (void)r.ok();
  }
  auto old = with_magic("user.fred\tabc\na b \nfred\tlrs\t\n");
  for (std::size_t n = 0; n <= old.size(); ++n)
    (void)parse_header(bytes_of(old.substr(0, n)), "p").ok();
  CHECK(true);
}

TEST_CASE("dlist: nesting is bounded") {
  std::string deep(5000, '(');
  auto r = parse_dlist(deep);
  CHECK_FALSE(r.value);
  CHECK(!r.error.empty());
  auto ok = parse_dlist("%(A (1 2 (3)) B NIL)");
  REQUIRE(ok.value);
  CHECK(ok.value->get("A")->items.size() == 3);
  CHECK(ok.value->get("B")->kind == DlistValue::Kind::nil);
  CHECK(ok.value->get_string("B") == std::nullopt);
}

TEST_CASE("index peek") {
  unsigned char raw[24] = {0, 0, 0, 1,   0, 0, 0, 0,   0, 0, 0, 16,
                           0, 0, 0, 160, 0, 0, 0, 104, 0, 0, 0, 3};
  ByteView v(reinterpret_cast<const std::byte*>(raw), sizeof raw);
  Findings f;
  auto p = peek_index(v, 160 + 3 * 104, "i", f);
  CHECK(p.minor_version == 16u);
  CHECK(p.start_offset == 160u);
  CHECK(p.record_size == 104u);
  CHECK(p.num_records == 3u);
  CHECK(f.empty());

  Findings g;
  auto q = peek_index(v, 160 + 2 * 104, "i", g);
  CHECK(q.num_records == 3u);
  CHECK(g.has(Code::spool_index_short));

  Findings h;
  auto s = peek_index(v.clamp(0, 12), 12, "i", h);
  CHECK(s.minor_version == 16u);
  CHECK_FALSE(s.start_offset.has_value());
  CHECK(h.has(Code::spool_index_short));

  // Huge counts saturate instead of wrapping.
  unsigned char big[24] = {0,    0,    0,    1,    0,    0,    0,    0,    0,    0,    0,    20,
                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Findings k;
  (void)peek_index(ByteView(reinterpret_cast<const std::byte*>(big), 24), 1u << 20, "i", k);
  CHECK(k.has(Code::spool_index_short));
}

TEST_CASE("header and index peek agree with the per-version fixtures (tests/fixtures/versions)") {
  namespace stdfs = std::filesystem;
  const stdfs::path dir = stdfs::path(SS_SOURCE_FIXTURE_DIR) / "versions";
  if (!stdfs::exists(dir)) return;
  auto slurp = [](const stdfs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  int checked = 0;
  for (const auto& e : stdfs::directory_iterator(dir)) {
    if (!stdfs::exists(e.path() / "expected.json")) continue;
    CAPTURE(e.path().string());
    auto exp = nlohmann::json::parse(slurp(e.path() / "expected.json"));
    const auto& ch = exp["cyrus_header"];
    auto bytes = slurp(e.path() / "cyrus.header");
    auto h = parse_header(bytes_of(bytes), "h");
    REQUIRE(h.ok());
    CHECK(to_string(h->form) == ch["form"].get<std::string>());
    CHECK(h->uniqueid == ch["uniqueid"].get<std::string>());
    CHECK(h->quotaroot == ch["quotaroot"].get<std::string>());
    if (h->form == HeaderForm::dlist) CHECK(h->name == ch["name"].get<std::string>());
    REQUIRE(h->user_flags.size() == ch["user_flags"].size());
    for (std::size_t i = 0; i < h->user_flags.size(); ++i)
      CHECK(h->user_flags[i] == ch["user_flags"][i].get<std::string>());
    CHECK(h->acl.size() == ch["acl"].size());
    for (const auto& [id, rights] : h->acl) CHECK(ch["acl"][id].get<std::string>() == rights);
    CHECK(h->findings.empty());

    auto index = slurp(e.path() / "cyrus.index");
    Findings f;
    auto p = peek_index(bytes_of(index).clamp(0, kIndexPeekBytes), index.size(), "i", f);
    const auto& hd = exp["header"];
    CHECK(p.minor_version == hd["minor_version"].get<std::uint32_t>());
    CHECK(p.start_offset == hd["start_offset"].get<std::uint32_t>());
    CHECK(p.record_size == hd["record_size"].get<std::uint32_t>());
    CHECK(p.num_records ==
          (hd.contains("num_records") ? hd["num_records"] : hd["exists"]).get<std::uint32_t>());
    CHECK(f.empty());
    ++checked;
  }
  CHECK(checked > 0);
}
