// A GNU ddrescue mapfile given with --map: parse_ddrescue_map, then a
// memory source read through it at offsets taken from the input, and the
// rescue domain written from what was needed.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "evidence/ddrescue_map.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = ss::evidence::parse_ddrescue_map(ss::fuzz::chars_of(data, size), "fuzz.map");
  if (!m) return 0;
  auto src = ss::evidence::open_mapped(
      ss::evidence::open_memory("fuzz.img", std::vector<std::byte>(4096)), *m);
  std::vector<std::byte> buf(600);
  for (std::size_t i = 0; i + 1 < size && i < 64; i += 2)
    (void)src->read_at((std::uint64_t{data[i]} << 5) | data[i + 1], buf);
  (void)ss::evidence::domain_mapfile(src->needed_unread(), src->size(), "fuzz");
  return 0;
}
