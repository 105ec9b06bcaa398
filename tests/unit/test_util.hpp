// Helpers shared by the unit tests.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace ss::test {

// A temporary directory, removed with everything in it at the end of scope.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(std::string_view prefix = "ss-test") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    char* p = ::mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `rel` (creating parent directories).
  void write(const std::string& rel, std::string_view content) const {
    auto p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  void mkdir(const std::string& rel) const { std::filesystem::create_directories(path / rel); }
};

// Builds a skiplist cyrusdb file (formats/mailboxes-db.md) for parser tests:
// the header, then records appended with record(); mark_logstart() ends the
// checkpointed part; raw32() appends DELETE/COMMIT words.
class SkiplistWriter {
 public:
  SkiplistWriter() : bytes_("\xA1\x02\x8B\x0Dskiplist file\0\0\0", 20) {
    for (std::uint32_t v : {1u, 2u, 20u, 1u, 0u}) raw32(v);  // version, minor, maxlevel, curlevel, listsize
    logstart_at_ = bytes_.size();
    raw32(0);  // logstart, set by mark_logstart()
    raw32(0);  // last recovery
  }
  void raw32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes_ += static_cast<char>((v >> shift) & 0xFF);
  }
  // Appends a record; returns its offset.
  std::size_t record(std::uint32_t type, std::string_view key, std::string_view value, int ptrs) {
    std::size_t off = bytes_.size();
    raw32(type);
    raw32(static_cast<std::uint32_t>(key.size()));
    bytes_ += key;
    while (bytes_.size() % 4) bytes_ += '\0';
    raw32(static_cast<std::uint32_t>(value.size()));
    bytes_ += value;
    while (bytes_.size() % 4) bytes_ += '\0';
    for (int i = 0; i < ptrs; ++i) raw32(0);
    raw32(0xFFFFFFFF);
    return off;
  }
  void mark_logstart() {
    std::string v;
    auto n = static_cast<std::uint32_t>(bytes_.size());
    for (int shift = 24; shift >= 0; shift -= 8) v += static_cast<char>((n >> shift) & 0xFF);
    bytes_.replace(logstart_at_, 4, v);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
  std::size_t logstart_at_ = 0;
};

}  // namespace ss::test
