// cyrus.header: both the text and the dlist forms.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)ss::spool::parse_header(ss::fuzz::view_of(data, size), "fuzz/cyrus.header");
  return 0;
}
