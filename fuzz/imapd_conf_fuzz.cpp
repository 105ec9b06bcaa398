// imapd.conf.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/imapd_conf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = ss::fuzz::chars_of(data, size);
  (void)ss::spool::parse_imapd_conf(text);
  (void)ss::spool::parse_conf_bool(text, false);
  return 0;
}
