#include "evidence/volumes.hpp"

#include <blkid/blkid.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace ss::evidence {
namespace {

constexpr std::uint32_t kMdMagic = 0xa92b4efc;

std::uint32_t le32(const std::byte* p) {
  return std::to_integer<std::uint32_t>(p[0]) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
         (std::to_integer<std::uint32_t>(p[2]) << 16) | (std::to_integer<std::uint32_t>(p[3]) << 24);
}
std::uint64_t le64(const std::byte* p) {
  return std::uint64_t{le32(p)} | (std::uint64_t{le32(p + 4)} << 32);
}

bool read_exact(Source& src, std::uint64_t off, std::span<std::byte> out) {
  if (off >= src.size() || out.size() > src.size() - off) return false;
  auto r = src.read_at(off, out);
  return r && *r == out.size();
}

bool is_ext(const std::string& t) { return t == "ext2" || t == "ext3" || t == "ext4"; }

// What libblkid finds at [offset, offset + size) of the file.
void probe_content(int fd, std::uint64_t offset, std::uint64_t size, Volume& v) {
  blkid_probe pr = blkid_new_probe();
  if (!pr) return;
  if (blkid_probe_set_device(pr, fd, static_cast<blkid_loff_t>(offset),
                             static_cast<blkid_loff_t>(size)) == 0) {
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
    if (blkid_do_safeprobe(pr) == 0) {
      const char* val = nullptr;
      std::size_t len = 0;
      if (blkid_probe_lookup_value(pr, "TYPE", &val, &len) == 0 && val) v.content = val;
      if (blkid_probe_lookup_value(pr, "LABEL", &val, &len) == 0 && val) v.label = val;
      if (blkid_probe_lookup_value(pr, "UUID", &val, &len) == 0 && val) v.uuid = val;
    }
  }
  blkid_free_probe(pr);
}

// An md superblock in [offset, offset + size): rewrites v to the member's
// data. False when the volume is an md member that cannot be read alone.
bool unwrap_md(Source& src, Volume& v, Findings& findings) {
  std::array<std::byte, 256> sb{};
  struct Where {
    std::uint64_t at;
    const char* version;
  };
  std::vector<Where> where;
  if (v.size >= 8192) {
    where.push_back({v.offset + 4096, "1.2"});
    where.push_back({v.offset, "1.1"});
    where.push_back({v.offset + (((v.size >> 9) - 16) & ~std::uint64_t{7}) * 512, "1.0"});
  }
  if (v.size >= 131072) where.push_back({v.offset + (v.size & ~std::uint64_t{65535}) - 65536, "0.90"});
  for (const auto& w : where) {
    if (!read_exact(src, w.at, sb) || le32(sb.data()) != kMdMagic) continue;
    const std::uint32_t major = le32(sb.data() + 4);
    std::int32_t level = 0;
    std::uint64_t data_offset = 0, data_size = 0;
    if (major == 1 && std::string_view(w.version) != "0.90") {
      // super_offset (sectors from the member's start) must name where it was found
      if (le64(sb.data() + 144) * 512 != w.at - v.offset) continue;
      level = static_cast<std::int32_t>(le32(sb.data() + 72));
      data_offset = le64(sb.data() + 128) * 512;
      data_size = le64(sb.data() + 136) * 512;
    } else if (major == 0 && std::string_view(w.version) == "0.90") {
      level = static_cast<std::int32_t>(le32(sb.data() + 28));
      data_offset = 0;
      data_size = w.at - v.offset;
    } else {
      continue;
    }
    const std::string what = fmt::format("md RAID{} member, metadata {}", level, w.version);
    if (level != 1) {
      findings.add(Code::evidence_volume_unsupported, v.what.empty() ? std::string("whole") : v.what,
                   fmt::format("{}: one member of RAID level {} does not hold the data; "
                               "assemble the array elsewhere (mdadm --assemble --readonly) and "
                               "give the md device",
                               what, level));
      return false;
    }
    if (data_offset >= v.size || data_size == 0 || data_size > v.size - data_offset) {
      findings.add(Code::evidence_volume_unsupported, v.what,
                   fmt::format("{}: data offset {} and size {} do not fit the {} bytes there",
                               what, data_offset, data_size, v.size));
      return false;
    }
    v.what += (v.what.empty() ? "" : ", ") + what +
              fmt::format(" (data at byte {} of it)", data_offset);
    v.offset += data_offset;
    v.size = data_size;
    return true;
  }
  return true;
}

}  // namespace

VolumeScan scan_volumes(const std::string& path, Source& src) {
  VolumeScan scan;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    scan.findings.add(Code::evidence_unreadable, path, std::strerror(errno));
    return scan;
  }
  blkid_probe pr = blkid_new_probe();
  std::vector<Volume> parts;
  if (pr && blkid_probe_set_device(pr, fd, 0, 0) == 0) {
    blkid_probe_enable_partitions(pr, 1);
    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    blkid_probe_enable_superblocks(pr, 0);
    if (blkid_do_safeprobe(pr) == 0)
      if (blkid_partlist ls = blkid_probe_get_partitions(pr)) {
        if (blkid_parttable tab = blkid_partlist_get_table(ls))
          if (const char* t = blkid_parttable_get_type(tab)) scan.table = t;
        const int n = blkid_partlist_numof_partitions(ls);
        for (int i = 0; i < n; ++i) {
          blkid_partition par = blkid_partlist_get_partition(ls, i);
          if (!par) continue;
          const auto start = blkid_partition_get_start(par), size = blkid_partition_get_size(par);
          if (start < 0 || size <= 0) continue;
          Volume v;
          v.id = std::to_string(blkid_partition_get_partno(par));
          const char* ts = blkid_partition_get_type_string(par);
          v.what = fmt::format("partition {} ({}{}{})", v.id, scan.table, ts ? ", " : "",
                               ts ? ts : "");
          if (!ts) v.what = fmt::format("partition {} ({}, type 0x{:02x})", v.id, scan.table,
                                        blkid_partition_get_type(par));
          v.offset = static_cast<std::uint64_t>(start) * 512;
          v.size = static_cast<std::uint64_t>(size) * 512;
          if (blkid_partition_is_extended(par)) continue;
          parts.push_back(std::move(v));
        }
      }
  }
  if (pr) blkid_free_probe(pr);
  Volume whole;
  whole.what = "the whole evidence";
  whole.size = src.size();
  if (parts.empty() && src.size() > 0) parts.insert(parts.begin(), whole);
  for (auto& v : parts) {
    if (v.offset >= src.size()) {
      scan.findings.add(Code::evidence_volume_unsupported, v.what,
                        fmt::format("starts at byte {}, past the end of the evidence ({} bytes)",
                                    v.offset, src.size()));
      continue;
    }
    if (v.size > src.size() - v.offset) v.size = src.size() - v.offset;
    // An md member first (its superblock read here, whatever libblkid would
    // say: a 0.90 or 1.0 member's data starts at byte 0 and looks like a
    // plain filesystem), then what the data holds.
    if (!unwrap_md(src, v, scan.findings)) {
      scan.volumes.push_back(std::move(v));
      continue;
    }
    probe_content(fd, v.offset, v.size, v);
    if (v.content == "LVM2_member")
      scan.findings.add(Code::evidence_volume_unsupported, v.what.empty() ? path : v.what,
                        "an LVM2 physical volume: activate it on a machine with LVM (vgchange -ay, "
                        "read-only: lvchange -p r), then give the logical volume's device "
                        "(/dev/VG/LV) as EVIDENCE");
    v.usable = is_ext(v.content);
    scan.volumes.push_back(std::move(v));
  }
  ::close(fd);
  return scan;
}

namespace {

class SliceSource final : public Source {
 public:
  SliceSource(std::shared_ptr<Source> inner, std::uint64_t offset, std::uint64_t size,
              std::string name)
      : inner_(std::move(inner)), offset_(offset), size_(size), name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  SourceKind kind() const override { return inner_->kind(); }
  std::uint64_t size() const override { return size_; }
  const ReadStats& stats() const override { return inner_->stats(); }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset >= size_) return std::size_t{0};
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset));
    return inner_->read_at(offset_ + offset, out.first(n));
  }
  Result<std::size_t> read_once_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset >= size_) return std::size_t{0};
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset));
    return inner_->read_once_at(offset_ + offset, out.first(n));
  }
  // In the evidence's own offsets: a rescue domain is for the whole device.
  std::vector<ByteRange> needed_unread() const override { return inner_->needed_unread(); }

 private:
  std::shared_ptr<Source> inner_;
  std::uint64_t offset_, size_;
  std::string name_;
};

}  // namespace

std::shared_ptr<Source> open_slice(std::shared_ptr<Source> inner, std::uint64_t offset,
                                   std::uint64_t size, std::string name) {
  return std::make_shared<SliceSource>(std::move(inner), offset, size, std::move(name));
}

}  // namespace ss::evidence
