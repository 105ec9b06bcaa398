// report/ for `probe` and `ls`: the JSON documents (stable key names: scripts
// depend on them, see README "JSON output") and the text views.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "evidence/volumes.hpp"
#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"

namespace ss::report {

// One EVIDENCE argument after opening: the filesystem, or why there is none.
struct EvidenceView {
  std::string path;
  const fs::Filesystem* fs = nullptr;
  std::optional<Finding> open_error;
  std::string sha256;       // --hash: of every byte of the image or device
  std::string hash_error;   // --hash: why there is none
  std::string ddrescue_map; // --map: the mapfile it was read through
  std::optional<evidence::VolumeScan> volumes;  // probe: what the disk holds
};

nlohmann::json probe_json(const std::vector<EvidenceView>& evidence,
                          const spool::SpoolDiscovery& disc);
std::string probe_text(const std::vector<EvidenceView>& evidence,
                       const spool::SpoolDiscovery& disc);

// The keys every mailbox object carries: name, display_name, name_source,
// uniqueid, dir, index_version, records, message_files, state (+ more).
nlohmann::json mailbox_json(const spool::Mailbox& m, const std::vector<EvidenceView>& evidence);

nlohmann::json ls_json(const std::vector<EvidenceView>& evidence,
                       const spool::SpoolDiscovery& disc);
std::string ls_text(const std::vector<EvidenceView>& evidence,
                    const spool::SpoolDiscovery& disc);

nlohmann::json messages_json(const std::vector<EvidenceView>& evidence,
                             const spool::Mailbox& m,
                             const std::vector<spool::MessageFile>& files,
                             const Findings& findings);
std::string messages_text(const spool::Mailbox& m, const std::vector<spool::MessageFile>& files,
                          const Findings& findings);

// The "evidence" array every JSON report starts with.
// A value's dump (indent 2, invalid UTF-8 replaced), as it reads `depth`
// levels down in a document indented by 2: for writing a large document a
// part at a time.
std::string json_dump_at(const nlohmann::json& j, int depth);

nlohmann::json evidence_list_json(const std::vector<EvidenceView>& evidence);

// Every finding of a run: global, per evidence, per mailbox.
Findings all_findings(const std::vector<EvidenceView>& evidence,
                      const spool::SpoolDiscovery& disc);

}  // namespace ss::report
