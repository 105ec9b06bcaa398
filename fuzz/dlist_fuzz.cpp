// dlist: the replication list syntax (cyrus.header 3.x form, sync values).
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/dlist.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ss::spool::DlistResult r = ss::spool::parse_dlist(ss::fuzz::chars_of(data, size));
  if (r.value) {
    (void)r.value->get("N");
    (void)r.value->get_string("I");
  }
  return 0;
}
