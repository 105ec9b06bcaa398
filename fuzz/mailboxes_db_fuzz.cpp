// mailboxes.db: each raw backend reader (twoskip, skiplist, flat) on the same
// bytes, whatever the magic says, then the detecting reader with entry decoding.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "spool/cyrusdb_raw.hpp"
#include "spool/mailboxes_db.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ss::spool;
  const ss::ByteView bytes = ss::fuzz::view_of(data, size);
  (void)cyrusdb::read_twoskip(bytes, "fuzz/mailboxes.db");
  (void)cyrusdb::read_skiplist(bytes, "fuzz/mailboxes.db");
  (void)cyrusdb::read_flat(bytes, "fuzz/mailboxes.db");
  (void)detect_db_backend(bytes);
  const MailboxesDb db = read_mailboxes_db(bytes, "fuzz/mailboxes.db");
  if (!db.entries.empty()) {
    (void)db.find_by_name(db.entries.front().name);
    (void)db.find_by_uniqueid(db.entries.back().uniqueid);
  }
  return 0;
}
