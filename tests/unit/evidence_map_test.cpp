// evidence/ddrescue_map: parsing GNU ddrescue mapfiles, reading through one,
// and writing a rescue domain.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "evidence/ddrescue_map.hpp"

using namespace ss;
using namespace ss::evidence;

namespace {

std::shared_ptr<Source> bytes_source(std::size_t n) {
  std::vector<std::byte> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i & 0xff);
  return open_memory("mem.img", std::move(b));
}

}  // namespace

TEST_CASE("ddrescue map: a mapfile as ddrescue writes it") {
  const char* text =
      "# Mapfile. Created by GNU ddrescue version 1.27\n"
      "# current_pos  current_status  current_pass\n"
      "0x00001000     ?               1\n"
      "#      pos        size  status\n"
      "0x00000000  0x00001000  +\n"
      "0x00001000  0x00000200  -\n"
      "0x00001200  0x00000E00  *\n"
      "0x00002000  4096  /\n";
  auto m = parse_ddrescue_map(text, "disk.map");
  REQUIRE(m.ok());
  REQUIRE(m->blocks.size() == 4);
  CHECK(m->blocks[1].range == ByteRange{0x1000, 0x200});
  CHECK(m->blocks[1].status == '-');
  CHECK(m->blocks[3].range == ByteRange{0x2000, 4096});
  CHECK(m->unread_bytes == 0x200 + 0xE00 + 4096);
  CHECK(map_status_name('-') == "bad sector");
}

TEST_CASE("ddrescue map: malformed maps are refused, naming the line") {
  for (const char* bad : {"", "# only comments\n", "0x0 +\n0x0 0x10 +\n0x20 0x10 +\n",
                          "0x0 +\n0x0 0x10 X\n", "0x0 +\n0x0 0 +\n", "0x0 +\n0x0 0x10\n",
                          "0x0 +\n0x10 0x10 +\n", "zz +\n", "0x0 +\n0x0 0xffffffffffffffff +\n0x0 1 +\n",
                          "0x0 +\n0x1 0xffffffffffffffff +\n"}) {
    CAPTURE(bad);
    auto m = parse_ddrescue_map(bad, "bad.map");
    REQUIRE_FALSE(m.ok());
    CHECK(m.problem().code == Code::evidence_map_invalid);
  }
}

TEST_CASE("ddrescue map: reads touching an unrecovered block fail, the rest pass through") {
  auto m = parse_ddrescue_map("0 +\n0 1024 +\n1024 512 -\n1536 512 +\n", "d.map");
  REQUIRE(m.ok());
  auto src = open_mapped(bytes_source(4096), *m);
  std::vector<std::byte> buf(512);
  auto ok = src->read_at(0, buf);
  REQUIRE(ok.ok());
  CHECK(*ok == 512);
  CHECK(buf[5] == std::byte{5});
  auto fail = src->read_at(1000, buf);  // touches [1024, 1536)
  REQUIRE_FALSE(fail.ok());
  CHECK(fail.problem().code == Code::evidence_unread_range);
  CHECK(fail.problem().detail.find("bad sector") != std::string::npos);
  CHECK(src->read_at(1536, buf).ok());
  // Past the map's end (2048): not recovered either.
  auto tail = src->read_at(3000, buf);
  REQUIRE_FALSE(tail.ok());
  const auto needed = src->needed_unread();
  REQUIRE(needed.size() == 2);
  CHECK(needed[0] == ByteRange{1024, 488});  // only the part the read needed: [1024, 1512)
  CHECK(needed[1] == ByteRange{3000, 512});
}

TEST_CASE("ddrescue map: a rescue domain covers the device, the needed ranges '+'") {
  const std::string d = domain_mapfile({{1024, 512}, {4096, 100}}, 8192, "test");
  CHECK(d.find("0x00000000     +\n") != std::string::npos);
  CHECK(d.find("0x00000000  0x00000400  ?\n") != std::string::npos);
  CHECK(d.find("0x00000400  0x00000200  +\n") != std::string::npos);
  CHECK(d.find("0x00000600  0x00000A00  ?\n") != std::string::npos);
  CHECK(d.find("0x00001000  0x00000064  +\n") != std::string::npos);
  CHECK(d.find("0x00001064  0x00000F9C  ?\n") != std::string::npos);
  // What ddrescue would read back is a valid map of ours too.
  auto back = parse_ddrescue_map(d, "domain");
  REQUIRE(back.ok());
  CHECK(back->blocks.size() == 5);
}
