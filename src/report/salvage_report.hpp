// report/ for `salvage`: the manifest (one JSON line per message, every
// message found), report.txt for people and report.json for machines. Run
// metadata (times, tool version) is kept in "run" only, so two runs on the
// same input give byte-identical manifests and identical reports but for it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/listing.hpp"
#include "salvage/salvage.hpp"

namespace ss::report {

nlohmann::json manifest_line(const salvage::ManifestEntry& e, const std::vector<EvidenceView>& ev);

struct SalvageTotals {
  std::uint64_t files = 0, records = 0;
  std::uint64_t salvaged = 0, unrecoverable = 0, skipped = 0, skipped_files = 0,
                skipped_records = 0;
  std::map<std::string, std::uint64_t> by_status;
  bool reconciles = true;
};
SalvageTotals totals_of(const salvage::SalvageResult& r);

nlohmann::json salvage_report_json(const std::vector<EvidenceView>& ev,
                                   const spool::SpoolDiscovery& disc,
                                   const salvage::SalvageResult& r, const nlohmann::json& run);
std::string salvage_report_text(const std::vector<EvidenceView>& ev,
                                 const spool::SpoolDiscovery& disc,
                                 const salvage::SalvageResult& r, const std::string& out);

}  // namespace ss::report
