// evidence/image_file: large reads of bytes that are not in the page cache go
// around it (O_DIRECT); cached bytes come from the cache. Either way the
// bytes delivered are the file's, to the last byte and at its end.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "evidence/source.hpp"
#include "test_util.hpp"

using namespace ss;

namespace {

struct Aligned {
  std::unique_ptr<std::byte, decltype(&std::free)> p{nullptr, &std::free};
  explicit Aligned(std::size_t n)  // aligned_alloc wants a whole number of alignments
      : p(static_cast<std::byte*>(std::aligned_alloc(4096, (n + 4095) / 4096 * 4096)), &std::free) {
    REQUIRE(p != nullptr);
  }
};

// Drops the file's pages from the page cache (written back first).
void evict(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

bool direct_supported(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

TEST_CASE("image file: large reads deliver the same bytes cached or not, aligned or not, at the end") {
  test::TempDir dir("ss-direct");
  const std::size_t size = (3u << 20) + 1234;  // not a whole number of blocks
  std::string content(size, '\0');
  std::mt19937 rng(7);
  for (auto& c : content) c = static_cast<char>(rng());
  dir.write("img", content);
  const std::string path = (dir.path / "img").string();
  auto src = evidence::open_image(path);
  REQUIRE(src);
  auto expect = [&](std::uint64_t off, std::size_t len) { return std::string(content, off, len); };
  struct Case {
    std::uint64_t offset;
    std::size_t len, buf_shift;
  };
  // Aligned; an unaligned length (a file's last block); an unaligned buffer
  // (read through the cache); past the end (short); a 1 KiB-aligned offset.
  const Case cases[] = {{0, 1u << 20, 0},           {1u << 20, (512u << 10) + 100, 0},
                        {4096, 256u << 10, 8},      {3u << 20, 256u << 10, 0},
                        {(2u << 20) + 1024, 200000, 0}};
  for (bool cold : {true, false}) {
    if (cold) {
      evict(path);
    } else {  // every page in the cache (the direct reads left none there)
      std::ifstream in(path, std::ios::binary);
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      REQUIRE(all == content);
    }
    const auto before = (*src)->stats().direct_reads;
    for (const auto& c : cases) {
      CAPTURE(cold);
      CAPTURE(c.offset);
      Aligned buf(c.len + 4096);
      auto out = std::span<std::byte>(buf.p.get() + c.buf_shift, c.len);
      auto r = (*src)->read_once_at(c.offset, out);
      REQUIRE(r);
      const std::size_t want = std::min<std::uint64_t>(c.len, size - c.offset);
      CHECK(*r == want);
      CHECK(std::string(reinterpret_cast<const char*>(out.data()), *r) == expect(c.offset, want));
    }
    const auto direct = (*src)->stats().direct_reads - before;
    if (!cold) {
      CHECK(direct == 0);
    } else if (direct_supported(path)) {
      CHECK(direct >= 2);  // the aligned cases (the 1 KiB-aligned one where 512 bytes suffice)
    } else {
      MESSAGE("no O_DIRECT under " << path << ": every read went through the cache");
      CHECK(direct == 0);
    }
  }
}
