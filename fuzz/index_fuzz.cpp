// cyrus.index: header and record decoding, and the full check with a cache.
// Input: be32 word W, then min(W & 0xFFFFFF, rest) bytes of cyrus.index, then
// the rest as cyrus.cache (absent when empty). W >> 24, when not 0, names
// that many user-flag slots (mod 128) as named in cyrus.header.
#include <algorithm>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_input.hpp"
#include "spool/index_file.hpp"
#include "spool/index_reader.hpp"
#include "validate/index_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss;
  const std::uint32_t word = fuzz::take_be32(data, size);
  const std::size_t index_len = std::min<std::size_t>(word & 0xFFFFFFu, size);
  const fuzz::ExactCopy index(data, index_len);
  const fuzz::ExactCopy cache(data + index_len, size - index_len);

  if (auto h = spool::index::decode_header(index.view())) (void)h->crc_ok();
  if (auto c = spool::index::read_index(index.view())) (void)c->records.size();

  validate::IndexContext ctx;
  ctx.place = "fuzz/cyrus.index";
  (void)validate::check_index(index.view(), ctx);
  if (size > index_len) ctx.cache = cache.view();
  if (const unsigned named = (word >> 24) % 128; named != 0) {
    std::bitset<128> b;
    for (unsigned i = 0; i < named; ++i) b.set(i);
    ctx.named_flags = b;
  }
  (void)validate::check_index(index.view(), ctx);
  return 0;
}
