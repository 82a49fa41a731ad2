// The lnsim executable's subcommand registry. Each subcommand lives in its own cli/cmd_<name>.cc
// and registers itself with LNSIM_REGISTER_SUBCOMMAND, so parts can add commands without
// touching main.cc. cli/ is the only place that creates real clocks and entropy.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/exit_codes.h"

namespace lnsim::cli {

// Exit codes (docs/architecture.md): one definition, in harness/exit_codes.h.
using harness::kExitFailed;
using harness::kExitInfra;
using harness::kExitInterrupted;
using harness::kExitOk;
using harness::kExitUsage;

// args excludes the program name and the subcommand name.
using SubcommandFn = std::function<int(const std::vector<std::string>& args)>;

struct Subcommand {
  std::string name;
  std::string summary;  // one line for `lnsim --help`
  SubcommandFn run;
};

std::map<std::string, Subcommand>& Registry();

struct Registrar {
  Registrar(std::string name, std::string summary, SubcommandFn fn);
};

#define LNSIM_REGISTER_SUBCOMMAND(ident, name, summary, fn) \
  static ::lnsim::cli::Registrar lnsim_registrar_##ident(name, summary, fn)

// Parses `args` against `options` (plus --help) and positional names. Returns:
//  - nullopt-like false and sets *exit_code = 0 after printing help when --help is given;
//  - false and *exit_code = 2 after printing a one-line error on unknown flags or bad values;
//  - true when parsing succeeded and the caller should go on.
// `usage` is the first help line, e.g. "lnsim sim SCENARIO [options]". --help shows every
// default as "(default: X)"; give a double's default as text (default_value(0.05, "0.05")).
// `deprecated` spellings still work (hidden from --help): each one used prints
// "warning: --OLD is deprecated; use --NEW" on stderr and counts as --NEW.
struct FlagAlias {
  std::string old_name;
  std::string new_name;
};
bool ParseOptions(const std::vector<std::string>& args, const std::string& usage,
                  boost::program_options::options_description& options,
                  const boost::program_options::positional_options_description& positional,
                  boost::program_options::variables_map* vm, int* exit_code,
                  const std::vector<FlagAlias>& deprecated = {});

// A whole number 0..2^64-1 given to `flag` (--seed, --count, ...), without the wrap-around of
// an unsigned parse ("-1" is refused, not 18446744073709551615). kInvalidArgument
// "--FLAG 'TEXT': why (want a whole number 0..18446744073709551615)".
StatusOr<uint64_t> ParseWholeNumber(std::string_view flag, std::string_view text);

// --time-scale X: a number in the scenario key's range 0.000001..1000000 (run, sim,
// mock-linstor). kInvalidArgument "--time-scale 'X' must be ..." otherwise.
StatusOr<double> ParseTimeScale(const std::string& text);
// --seed N and --time-scale X, each when the options have it and it was given (run, sim,
// sweep, mock-linstor): kExitOk with them set, or kExitUsage after printing why not.
int SeedAndTimeScaleFromFlags(const boost::program_options::variables_map& vm,
                              const std::string& subcommand, std::optional<uint64_t>* seed,
                              std::optional<double>* time_scale);

// The shortest text that reads back as `value` (0.2, not 0.200000 or 0.20000000000000001).
std::string FormatNumber(double value);

// `s` as one shell word for a reproduce line: as it is when it needs no quoting, else in single
// quotes ('it'\''s').
std::string ShellQuote(const std::string& s);

// Prints "lnsim <sub>: <message>" to stderr and returns kExitUsage.
int UsageError(const std::string& subcommand, const std::string& message);

// The version string printed by `lnsim --version` and stamped into reports.
std::string VersionString();

}  // namespace lnsim::cli
