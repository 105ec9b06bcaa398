// CRC bit correction: a unit ending in its stored CRC (as index records and
// headers are), and external data against a CRC given by the input's first
// word. Units are limited to what cyrus.index holds (a header or a record)
// so each run stays fast; the external limit is the library's own.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "validate/crc_repair.hpp"

namespace {
constexpr std::size_t kMaxUnit = 512;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss;
  if (size <= kMaxUnit) {
    for (const auto& c : validate::crc_corrections(fuzz::view_of(data, size), 2))
      (void)c.corrected.size();
  }
  const std::uint32_t expected = fuzz::take_be32(data, size);
  if (size <= kMaxUnit)
    (void)validate::crc_corrections_external(fuzz::view_of(data, size), expected, 2);
  return 0;
}
