#include "core/problem.hpp"

#include <fmt/format.h>

namespace ss {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::relaxation: return "relaxation";
    case Severity::warning: return "warning";
    case Severity::damage: return "damage";
    case Severity::error: return "error";
    case Severity::fatal: return "fatal";
  }
  return "unknown";
}

const std::vector<ProblemInfo>& problem_catalogue() {
  static const std::vector<ProblemInfo> table = {
#define SS_PROBLEM_ROW(name, code, sev, text) {Code::name, code, Severity::sev, text},
      SS_PROBLEMS(SS_PROBLEM_ROW)
#undef SS_PROBLEM_ROW
  };
  return table;
}

const ProblemInfo& problem_info(Code c) {
  // The table is in enum order, so the enum value is the index.
  return problem_catalogue()[static_cast<std::size_t>(c)];
}

std::string Finding::describe() const {
  std::string out = fmt::format("{}: {}", id(), text());
  if (!detail.empty()) out += fmt::format(" ({})", detail);
  if (!place.empty()) out += fmt::format(" at {}", place);
  return out;
}

bool Findings::any_at_least(Severity s) const {
  for (const auto& f : items_)
    if (f.severity() >= s) return true;
  return false;
}

bool Findings::has(Code c) const {
  for (const auto& f : items_)
    if (f.code == c) return true;
  return false;
}

}  // namespace ss
