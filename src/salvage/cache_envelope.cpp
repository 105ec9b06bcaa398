#include "salvage/cache_envelope.hpp"

#include "spool/cache_file.hpp"

namespace ss::salvage {

std::string envelope_of(fs::Filesystem& fs, const spool::Mailbox& m, const spool::index::Record& r,
                        CacheBytes& cache) {
  if (!cache.tried) {
    cache.tried = true;
    auto id = fs.lookup(m.dir.empty() ? "cyrus.cache" : m.dir + "/cyrus.cache");
    if (!id) return {};
    auto bytes = fs.read_all(*id, 1ull << 31);
    if (bytes) cache.bytes = std::move(bytes).value();
  }
  if (!cache.bytes) return {};
  auto rec = spool::cache::read_record(ByteView(*cache.bytes), r.cache_offset());
  if (!rec) return {};
  return std::string(rec->items[static_cast<std::size_t>(spool::cache::Item::envelope)].chars());
}

}  // namespace ss::salvage
