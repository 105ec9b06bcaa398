// sync/log: parsing, then the selection a salvage run derives from it.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/sync_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss::spool;
  const SyncLog log = parse_sync_log(ss::fuzz::view_of(data, size), "fuzz/sync/log");
  const SyncLogSelection sel = select_from_sync_log(log);
  for (const auto& e : log.entries) {
    if (e.args.empty()) continue;
    (void)mailbox_owner(e.args.front());
    (void)sync_log_selects(sel, e.args.front(), e.args.back());
  }
  return 0;
}
