// evidence/: byte sources. Everything the tool reads from a disk or image
// goes through Source::read_at, the one seam where reads are counted and
// where failing or missing ranges are recorded (later: ddrescue maps, retries).
// Sources are read-only by construction: there is no write entry point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_range.hpp"
#include "core/result.hpp"

namespace ss::evidence {

struct ReadStats {
  std::uint64_t reads = 0;        // read_at calls that touched the evidence
  std::uint64_t bytes_read = 0;   // bytes delivered
  std::uint64_t short_reads = 0;  // reads cut short by the end of the evidence
  std::uint64_t errors = 0;       // reads that failed (I/O error)
  std::uint64_t retries = 0;      // reads tried again after an I/O error (open_retrying)
  std::uint64_t refused = 0;      // reads not sent: they touch a range that failed before
  std::uint64_t direct_reads = 0; // reads that went around the page cache (O_DIRECT)
};

enum class SourceKind { image_file, block_device };

class Source {
 public:
  virtual ~Source() = default;
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  virtual const std::string& name() const = 0;  // the path as the user gave it
  virtual SourceKind kind() const = 0;
  virtual std::uint64_t size() const = 0;
  // Reads up to out.size() bytes at `offset`; returns the number of bytes read,
  // which is smaller than asked only at the end of the evidence. An I/O error
  // gives a Finding (evidence.read-error) naming the range.
  // A Source may be read from two threads at once (libext2fs's reads of the
  // metadata and the bulk reader's of message bytes, validate::check_mailboxes):
  // implementations guard their state.
  virtual Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) = 0;
  // The same, for bytes this run reads once (message files): a large read
  // of bytes not in the page cache may go around it (O_DIRECT), which on a
  // cold disk costs far less kernel time. Metadata, read more than once,
  // goes through read_at and stays cached.
  virtual Result<std::size_t> read_once_at(std::uint64_t offset, std::span<std::byte> out) {
    return read_at(offset, out);
  }
  virtual const ReadStats& stats() const = 0;
  // Ranges of the evidence that reads needed and could not get (unrecovered
  // in a ddrescue map, or I/O errors), merged and sorted.
  virtual std::vector<ByteRange> needed_unread() const { return {}; }
};

// Opens a regular file or a block device read-only (O_RDONLY, never O_RDWR or
// O_CREAT). Problems: evidence.not-found, evidence.unreadable,
// evidence.unsupported-type.
Result<std::shared_ptr<Source>> open_image(const std::string& path);

// SHA-256 of every byte of the source, read front to back in one pass (for
// --hash). `progress` (may be empty) gets the bytes done now and then. The
// problem: a read failed (the range named), or the source ended early.
Result<std::string> sha256_of_source(Source& source,
                                     const std::function<void(std::uint64_t)>& progress);

// A failing disk: a read that fails is split into granules; each granule is
// tried at most 1 + retries times, and one that still fails is remembered:
// any later read touching it fails at once without reaching the device (a
// failing disk is never asked for the same bad block again), and it is
// reported by needed_unread(). open_image wraps every image and device so.
struct RetryPolicy {
  unsigned retries = 2;
  std::uint32_t granule = 4096;  // bytes; the unit a bad range is known in
};
std::shared_ptr<Source> open_retrying(std::shared_ptr<Source> inner, RetryPolicy policy = {});

// A Source over bytes held in memory, under the given name: for tests and the
// fuzz harness over whole filesystem images. Reads past the end are short.
std::shared_ptr<Source> open_memory(std::string name, std::vector<std::byte> bytes);

}  // namespace ss::evidence
