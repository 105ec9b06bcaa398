// evidence/: what a whole disk holds. A rescue machine gets the dead
// server's disk (or a ddrescue image of it): a partition table (MBR or GPT),
// maybe a Linux md RAID1 member, maybe an LVM2 physical volume. Partition
// tables and what each volume holds are found by libblkid (util-linux), which
// reads the path itself through its own O_RDONLY descriptor (a few
// kilobytes: tables and superblock signatures); md superblocks are read here
// through the Source (documented layout: 0.90 at the end, 1.0 at the end,
// 1.1 at the start, 1.2 at 4 KiB; the data offset is in the superblock).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "evidence/source.hpp"

namespace ss::evidence {

struct Volume {
  std::string id;       // what EVIDENCE@id names: "1", "2" (partition numbers); "" the whole
  std::string what;     // "partition 2 (gpt, Linux filesystem)", "md RAID1 member, metadata 1.2 ..."
  std::uint64_t offset = 0;  // of the data, in the evidence
  std::uint64_t size = 0;
  std::string content;  // what libblkid finds there: "ext4", "linux_raid_member", "LVM2_member", ""
  std::string label, uuid;
  bool usable = false;  // holds an ext2/3/4 filesystem this tool reads (after md unwrapping)
};

struct VolumeScan {
  std::string table;             // "gpt", "dos", or "" (none)
  std::vector<Volume> volumes;   // the whole (when it has content) and every partition
  Findings findings;             // LVM, RAID levels that cannot be read from one member, ...
};

// Scans `path` (libblkid) and `src` (md superblocks). Never fails: what
// cannot be probed is a finding.
VolumeScan scan_volumes(const std::string& path, Source& src);

// A window [offset, offset + size) of a source, as a source of its own
// (reads past its end are short). Named "PATH@id".
std::shared_ptr<Source> open_slice(std::shared_ptr<Source> inner, std::uint64_t offset,
                                   std::uint64_t size, std::string name);

}  // namespace ss::evidence
