#include "salvage/lost_mailboxes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "fs/census.hpp"
#include "spool/cache_file.hpp"
#include "spool/header.hpp"
#include "spool/index_reader.hpp"
#include "spool/index_file.hpp"
#include "spool/index_layout.hpp"

namespace ss::salvage {
namespace {

namespace ix = spool::index;

constexpr std::uint64_t kHeaderLimit = 1u << 20;  // a cyrus.header is a few hundred bytes
constexpr std::uint64_t kHead = 1024;              // enough for any index header, and the magic

struct LostHeader {
  fs::NodeId node = 0;
  std::string uniqueid;
  std::uint32_t crc = 0;  // CRC-32 of the whole file
};

struct LostIndex {
  fs::NodeId node = 0;
  std::uint32_t header_file_crc = 0;
  std::uint32_t minor = 0;
  std::uint32_t generation = 0;
};

constexpr std::size_t kCacheProofs = 16;  // records whose cache CRC is checked

// Whether `cache` is the cyrus.cache of `index`: the first records (up to
// kCacheProofs) that point into it find there a cache record whose CRC-32 is
// the one the record keeps (cache_crc), and none finds another. Returns how
// many were checked; 0: not its cache.
std::size_t cache_proofs(fs::Filesystem& f, fs::NodeId index, fs::NodeId cache) {
  // Only the first records, and the start of the cache they point into.
  auto head = f.read(index, 0, 1024);
  if (!head) return 0;
  auto h = ix::decode_header(ByteView(*head));
  if (!h || !h->layout) return 0;
  auto ib = f.read(index, 0, std::uint64_t{h->layout->header_size} + kCacheProofs * h->layout->record_size);
  if (!ib) return 0;
  auto contents = ix::read_index(ByteView(*ib));
  if (!contents) return 0;
  std::uint64_t reach = 0;
  for (std::size_t k = 0; k < contents->records.size() && k < kCacheProofs; ++k)
    reach = std::max(reach, contents->records[k].cache_offset());
  auto cb = f.read(cache, 0, reach + (256u << 10));  // a cache record is a few KB
  if (!cb) return 0;
  std::size_t ok = 0;
  for (const auto& r : contents->records) {
    if (ok >= kCacheProofs || r.past_num_records) break;
    auto want = r.values.get(ix::RecordField::cache_crc);
    if (!want || r.cache_offset() == 0) continue;
    auto rec = spool::cache::read_record(ByteView(*cb), r.cache_offset());
    if (!rec || rec->crc != static_cast<std::uint32_t>(*want)) return 0;
    ++ok;
  }
  return ok;
}

// `head`: the file's first bytes (kHead of them, or all of a shorter file).
std::optional<LostHeader> as_header(fs::Filesystem& f, fs::NodeId id, ByteView head) {
  const auto magic = head.sub(0, spool::kHeaderMagic.size());
  if (!magic || std::string_view(reinterpret_cast<const char*>(magic->data_unsafe()), magic->size()) !=
                    spool::kHeaderMagic)
    return std::nullopt;
  auto bytes = f.read_all(id, kHeaderLimit);
  if (!bytes) return std::nullopt;
  auto h = spool::parse_header(ByteView(*bytes), "cyrus.header");
  if (!h || h->uniqueid.empty()) return std::nullopt;
  return LostHeader{id, h->uniqueid, ix::crc32_of(ByteView(*bytes))};
}

// A cyrus.index of a version with header CRCs whose header is intact.
std::optional<LostIndex> as_index(fs::NodeId id, ByteView head) {
  auto h = ix::decode_header(head);
  if (!h || !h->layout || !h->has_crc || !h->crc_ok()) return std::nullopt;
  if (h->values.get_or(ix::HeaderField::start_offset, 0) != h->layout->header_size ||
      h->values.get_or(ix::HeaderField::record_size, 0) != h->layout->record_size)
    return std::nullopt;
  auto crc = h->values.get(ix::HeaderField::header_file_crc);
  if (!crc) return std::nullopt;
  return LostIndex{id, static_cast<std::uint32_t>(*crc), h->minor,
                   static_cast<std::uint32_t>(h->values.get_or(ix::HeaderField::generation_no, 0))};
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}
std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::vector<Adoption> find_lost_mailbox_files(const std::vector<fs::Filesystem*>& fss,
                                              const spool::SpoolDiscovery& disc) {
  std::vector<Adoption> out;
  for (std::size_t fi = 0; fi < fss.size(); ++fi) {
    bool wanted = false;
    for (const auto& mm : disc.missing)
      for (const auto& [efi, dir] : mm.expected_dirs) wanted = wanted || (efi == fi && !mm.uniqueid.empty());
    if (!wanted) continue;
    fs::Filesystem& f = *fss[fi];
    // Where a lost name's inode may be: in lost+found (e2fsck ran), or in
    // use with no directory naming it (a directory block was destroyed and
    // no fsck ran).
    std::vector<std::pair<fs::Entry, std::string>> lost;  // (inode, how it was found)
    std::set<fs::NodeId> listed;
    if (auto lf = f.lookup("lost+found"))
      if (auto entries = f.list(*lf))
        for (const auto& e : *entries) {
          lost.push_back({e, fmt::format("in lost+found as {} (inode {})", e.name, e.id)});
          listed.insert(e.id);
        }
    const auto census = fs::take_census(f, [](const fs::InodeInfo& i) { return i.in_use(); });
    for (const auto& i : census.inodes)
      if (census.orphan(i) && !listed.count(i.id))
        lost.push_back({fs::Entry{fmt::format("#{}", i.id), i.id, i.kind},
                        fmt::format("as inode {}, which no directory names", i.id)});
    // What they hold that a mailbox may have lost.
    std::map<std::string, std::pair<fs::NodeId, std::string>> dirs;  // uniqueid -> (dir, how found)
    std::multimap<std::string, std::pair<LostHeader, std::string>> headers;  // uniqueid -> header
    std::multimap<std::uint32_t, std::pair<LostIndex, std::string>> indexes;  // header_file_crc -> index
    std::multimap<std::uint32_t, std::pair<fs::NodeId, std::string>> caches;  // generation -> maybe a cache
    for (const auto& [e, how] : lost) {
      if (e.kind == fs::NodeKind::directory) {
        auto inner = f.list(e.id);
        if (!inner) continue;
        for (const auto& x : *inner)
          if (x.name == "cyrus.header" && x.kind == fs::NodeKind::file)
            if (auto head = f.read(x.id, 0, kHead))
              if (auto h = as_header(f, x.id, ByteView(*head)))
                dirs.emplace(h->uniqueid, std::pair{e.id, how});
      } else if (e.kind == fs::NodeKind::file) {
        // One read of its first bytes tells a header, an index or a cache.
        auto head = f.read(e.id, 0, kHead);
        if (!head) continue;
        const ByteView hv(*head);
        if (auto h = as_header(f, e.id, hv)) headers.emplace(h->uniqueid, std::pair{*h, how});
        else if (auto i = as_index(e.id, hv)) indexes.emplace(i->header_file_crc, std::pair{*i, how});
        else if (hv.size() >= 4)
          // A cache begins with the generation number of its index; a
          // message with a header line, never with such a small number.
          caches.emplace(spool::cache::generation(hv).value_or(0), std::pair{e.id, how});
      }
    }
    for (const auto& mm : disc.missing) {
      if (mm.uniqueid.empty()) continue;
      for (const auto& [efi, path] : mm.expected_dirs) {
        if (efi != fi) continue;
        auto here = f.lookup(path);
        if (!here) {
          // The directory itself is lost: given back under its parent.
          auto d = dirs.find(mm.uniqueid);
          auto parent = f.lookup(parent_of(path));
          if (d == dirs.end() || !parent || path.empty()) continue;
          out.push_back({fi, *parent, fs::Entry{base_of(path), d->second.first, fs::NodeKind::directory},
                         mm.name,
                         fmt::format("the mailbox's directory {} was found {}: its cyrus.header "
                                     "has the mailbox's uniqueid {}",
                                     path, d->second.second, mm.uniqueid)});
          break;
        }
        // The directory is there, its files' names are not.
        std::optional<std::uint32_t> header_crc;
        auto names = f.list(*here);
        bool has_header = false, has_index = false, has_cache = false;
        if (names)
          for (const auto& x : *names) {
            if (x.name == "cyrus.header") {
              has_header = true;
              if (auto head = f.read(x.id, 0, kHead))
                if (auto h = as_header(f, x.id, ByteView(*head)); h && h->uniqueid == mm.uniqueid)
                  header_crc = h->crc;
            }
            has_index = has_index || x.name == "cyrus.index";
            has_cache = has_cache || x.name == "cyrus.cache";
          }
        if (!has_header) {
          auto [lo, hi] = headers.equal_range(mm.uniqueid);
          if (lo != hi && std::next(lo) == hi) {
            const auto& [h, how] = lo->second;
            header_crc = h.crc;
            out.push_back({fi, *here, fs::Entry{"cyrus.header", h.node, fs::NodeKind::file}, mm.name,
                           fmt::format("cyrus.header of {} found {}: it names the mailbox's "
                                       "uniqueid {}",
                                       path, how, mm.uniqueid)});
          }
        }
        if (!has_index && header_crc) {
          auto [lo, hi] = indexes.equal_range(*header_crc);
          if (lo != hi && std::next(lo) == hi) {
            const auto& [i, how] = lo->second;
            out.push_back({fi, *here, fs::Entry{"cyrus.index", i.node, fs::NodeKind::file}, mm.name,
                           fmt::format("cyrus.index (v{}) of {} found {}: its header CRC holds, "
                                       "and the CRC-32 of cyrus.header it records ({:08x}) is "
                                       "that of the mailbox's header",
                                       i.minor, path, how, *header_crc)});
            // Its cache: the one whose records the index's cache CRCs prove.
            auto [clo, chi] = caches.equal_range(i.generation);
            std::vector<std::pair<fs::NodeId, std::string>> proven;
            std::size_t checked = 0;
            for (auto c = clo; !has_cache && c != chi; ++c)
              if (auto n = cache_proofs(f, i.node, c->second.first)) {
                proven.push_back(c->second);
                checked = n;
              }
            if (proven.size() == 1)
              out.push_back({fi, *here, fs::Entry{"cyrus.cache", proven[0].first, fs::NodeKind::file},
                             mm.name,
                             fmt::format("cyrus.cache of {} found {}: it begins with the index's "
                                         "generation {}, and the CRC-32 of the cache records of "
                                         "{} index records are the ones they keep",
                                         path, proven[0].second, i.generation, checked)});
          }
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace ss::salvage
