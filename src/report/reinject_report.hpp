// report/: what `reinject` did — a tally (appended, quarantined, created,
// already present, failed, left out), each failure with the server's answer,
// messages per second, the extensions used; as text and as JSON.
#pragma once

#include <string>

#include "salvage/reinject.hpp"

namespace ss::report {

std::string reinject_text(const salvage::ReinjectResult& r, const std::string& target, bool dry_run);
std::string reinject_json(const salvage::ReinjectResult& r, const std::string& target, bool dry_run);

}  // namespace ss::report
