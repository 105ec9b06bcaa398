// Replay driver: the same harness source as the libFuzzer build, linked with
// this main instead. Runs every file of the given directories (or the given
// files) through LLVMFuzzerTestOneInput once, each in an exact-size heap
// buffer so sanitizers catch over-reads. Used by ctest (fuzz.replay.<parser>)
// to keep the committed corpus, seeds and every crash ever found, passing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t size = bytes.size();
  std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[size]);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(exact.get()));  // NOLINT
  bytes.clear();
  bytes.shrink_to_fit();
  LLVMFuzzerTestOneInput(exact.get(), size);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
    return 2;
  }
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(arg);
    }
    for (const auto& f : files) {
      if (!run_file(f)) return 1;
      ++runs;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "replay: no inputs\n");
    return 1;
  }
  std::printf("replay: %zu inputs ok\n", runs);
  return 0;
}
