// The header of a message file found without a name (OUT/unmatched/,
// carving's block starts) and the IMAP ENVELOPE a cyrus.cache keeps for a
// record: both read from evidence bytes (spool/message_header.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "salvage/carve.hpp"
#include "spool/message_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = ss::fuzz::view_of(data, size);
  (void)ss::spool::summarize_header(bytes);
  (void)ss::salvage::looks_like_header_start(bytes);
  (void)ss::spool::summarize_envelope(
      std::string_view(reinterpret_cast<const char*>(bytes.data_unsafe()), bytes.size()));
  return 0;
}
