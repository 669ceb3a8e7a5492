// Load-run reports: one human-readable line and one JSON object with the same figures.
#pragma once

#include <string>
#include <string_view>

#include "load_worker.h"
#include "loadgen_options.h"

namespace flashstor::bench {

// elapsed_s: wall time of the measured phase. extra_json: more ",\"k\":v" members or empty.
std::string FormatHuman(const Options& o, const RunStats& s, double elapsed_s);
std::string FormatJson(const Options& o, const RunStats& s, double elapsed_s,
                       std::string_view extra_json = {});

}  // namespace flashstor::bench
