// report/: the split-brain diff (salvage/diff.hpp), as text and as JSON.
#pragma once

#include <string>

#include "core/problem.hpp"
#include "salvage/diff.hpp"

namespace ss::report {

struct DiffSides {
  std::string old_name, new_name;  // as given (an IMAP URL without its password)
  bool new_is_imap = false;
};

std::string diff_text(const salvage::DiffResult& r, const DiffSides& sides, const Findings& findings);
std::string diff_json(const salvage::DiffResult& r, const DiffSides& sides, const Findings& findings);

}  // namespace ss::report
