// cyrus.cache: records read the way a reader walks the file (from offset 4,
// each record after the previous one), plus one at an offset chosen by the
// input's first word, which may be anywhere.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/cache_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss;
  const ByteView cache = fuzz::view_of(data, size);
  (void)spool::cache::generation(cache);
  if (auto start = cache.be32(0)) (void)spool::cache::read_record(cache, *start);
  std::uint64_t offset = 4;
  for (int n = 0; n < 4096 && offset < size; ++n) {
    auto rec = spool::cache::read_record(cache, offset);
    if (!rec || rec->length == 0) break;
    for (const auto& item : rec->items) (void)item.size();
    offset += rec->length;
  }
  return 0;
}
