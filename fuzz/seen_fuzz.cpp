// Seen state: the whole database (twoskip / skiplist / flat), and the same
// bytes as a single seen value and as a bare uid set.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/seen_db.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss::spool;
  const SeenDb db = parse_seen_db(ss::fuzz::view_of(data, size), "fuzz/user.seen");
  for (const auto& e : db.entries) (void)e.state.seen.to_string();
  const SeenState s = parse_seen_value(ss::fuzz::chars_of(data, size));
  (void)s.seen.count();
  (void)s.is_seen(1);
  const UidSetParse p = parse_uid_set(ss::fuzz::chars_of(data, size), 100);
  (void)p.set.to_string();
  return 0;
}
