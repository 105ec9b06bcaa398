// --not-in imap[s]://: the IMAP response parser (what a live, possibly
// hostile, server sends), and the same bytes as a URL, a name to quote and a
// name to convert.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "salvage/other_side_imap.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss::salvage;
  const ss::fuzz::ExactCopy copy(data, size);
  const auto parsed = imap::parse_responses(copy.chars());
  std::size_t n = 0;
  for (const auto& r : parsed.responses) n += r.values.size() + r.code.size() + r.text.size();
  (void)n;
  (void)parse_imap_url(copy.chars());
  (void)imap::quote(copy.chars());
  (void)imap::internal_from_imap(copy.chars(), '/');
  return 0;
}
