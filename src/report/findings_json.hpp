// report/: turning findings and listings into text and JSON. Nothing here
// prints; the command layer writes the strings it gets.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/problem.hpp"

namespace ss::report {

// {"code", "severity", "message", "detail", "place"}
nlohmann::json to_json(const Finding& f);
nlohmann::json to_json(const Findings& f);

// Text safe to show on a terminal: control characters, DEL and invalid UTF-8
// become \xNN escapes, so a hostile name cannot drive the terminal.
std::string printable(std::string_view s);

// One finding as a line for humans: "severity code: text (detail) at place".
std::string finding_line(const Finding& f);

}  // namespace ss::report
