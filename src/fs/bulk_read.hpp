// fs/: reading many files' bytes at once, in the order of the disk.
//
// libext2fs gives each file's byte runs (Filesystem::file_runs); the bytes
// themselves are read here straight from the evidence, all the runs of a
// batch of files sorted by image offset and coalesced into large reads, so
// that each block is read once and a failing disk is read front to back
// instead of being sent back and forth. The bytes of each file are handed,
// in file order, to a consumer that runs on a pool of worker threads (SHA-1
// and writing the output happen there, beside the reading).
//
// Memory: at most two windows of file bytes are in flight (the batch being
// read and the batch being consumed). A file larger than the window is
// streamed through a fixed buffer on the reading thread instead.
//
// Files with no evidence under them (a directory tree, ext4 inline data)
// are read through Filesystem::read on the reading thread and consumed the
// same way. The Filesystem and the evidence are only used by the calling
// thread: libext2fs is not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "fs/filesystem.hpp"

namespace ss::fs {

struct ReadJob {
  NodeId node = 0;
  std::uint64_t size = 0;     // bytes to deliver: the file's size
  std::vector<FileRun> runs;  // file_runs(node), covering [0, size); empty: read through fs
};

// Receives the bytes of each job. All calls for one job come from one
// thread, in this order: begin, chunk (zero or more times, the bytes in file
// order), end. Calls for different jobs may run at the same time on
// different threads, so a consumer keeps its per-job state apart.
class ReadConsumer {
 public:
  virtual ~ReadConsumer() = default;
  virtual void begin(std::size_t job) = 0;
  virtual void chunk(std::size_t job, ByteView bytes) = 0;
  // problem: null when every byte was delivered; else why the bytes stopped
  // (an I/O error, the evidence ends) — the job's bytes are then incomplete.
  virtual void end(std::size_t job, const Finding* problem) = 0;
};

struct BulkReadOptions {
  unsigned threads = 0;                   // consumer threads; 0: one per core
  std::uint64_t window = 8ull << 20;      // bytes of files per batch
  std::uint64_t max_read = 4ull << 20;    // largest single read of the evidence
  std::uint64_t max_gap = 16ull << 10;    // unneeded bytes read to join two runs
};

struct BulkReadStats {
  std::uint64_t jobs = 0;
  std::uint64_t bytes_needed = 0;     // file bytes that lie in the evidence (holes excluded)
  // The same rounded up to whole filesystem blocks: what a disk has to read
  // at least (a file of 1 byte occupies a block).
  std::uint64_t block_bytes_needed = 0;
  std::uint64_t bytes_read = 0;       // bytes this reader read (from the evidence, or via fs)
  std::uint64_t reads = 0;            // read calls on the evidence
  std::uint64_t backward_reads = 0;   // reads that started before the previous one ended
  std::uint64_t through_fs = 0;       // jobs read through the Filesystem (no image offsets)
  std::uint64_t failed = 0;           // jobs whose bytes could not all be read

  BulkReadStats& operator+=(const BulkReadStats& o);
};

// Whether read_files reads this job through the Filesystem (libext2fs:
// inline data, a directory tree, runs it cannot use) rather than straight
// from the evidence. A read_files call whose jobs all say false touches
// only the evidence Source, which may be read from two threads: it may run
// beside the thread that uses the Filesystem.
bool reads_through_fs(const Filesystem& fs, const ReadJob& job);

// Reads every job and hands its bytes to `consumer`; returns when every job
// has ended. `tick`, if given, is called on the calling thread now and then
// (for progress).
BulkReadStats read_files(Filesystem& fs, std::span<const ReadJob> jobs, ReadConsumer& consumer,
                         const BulkReadOptions& opt = {},
                         const std::function<void()>& tick = {});

}  // namespace ss::fs
