// lnsim: one binary, many subcommands (cli/cmd_*.cc). Dispatches argv to the registered
// subcommand; prints the global help and version.
#include <boost/make_shared.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/subcommand.h"

namespace lnsim::cli {

std::map<std::string, Subcommand>& Registry() {
  static std::map<std::string, Subcommand> registry;
  return registry;
}

Registrar::Registrar(std::string name, std::string summary, SubcommandFn fn) {
  Registry()[name] = Subcommand{name, std::move(summary), std::move(fn)};
}

int UsageError(const std::string& subcommand, const std::string& message) {
  std::cerr << "lnsim" << (subcommand.empty() ? "" : " " + subcommand) << ": " << message
            << " (see --help)" << std::endl;
  return kExitUsage;
}

std::string VersionString() { return LNSIM_VERSION; }

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,@%+") == std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

StatusOr<uint64_t> ParseWholeNumber(std::string_view flag, std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  std::string why;
  if (!text.empty() && text.front() == '-') {
    why = "must not be negative";
  } else if (ec == std::errc::result_out_of_range) {
    why = "is too large";
  } else if (text.empty() || ec != std::errc() || ptr != end) {
    why = "is not a whole number";
  } else {
    return value;
  }
  return InvalidArgumentError("--" + std::string(flag) + " '" + std::string(text) + "' " + why +
                              " (want a whole number 0..18446744073709551615)");
}

int SeedAndTimeScaleFromFlags(const boost::program_options::variables_map& vm,
                              const std::string& subcommand, std::optional<uint64_t>* seed,
                              std::optional<double>* time_scale) {
  if (vm.count("seed")) {
    auto parsed = ParseWholeNumber("seed", vm["seed"].as<std::string>());
    if (!parsed.ok()) return UsageError(subcommand, parsed.status().message());
    *seed = *parsed;
  }
  if (time_scale != nullptr && vm.count("time-scale")) {
    auto parsed = ParseTimeScale(vm["time-scale"].as<std::string>());
    if (!parsed.ok()) return UsageError(subcommand, parsed.status().message());
    *time_scale = *parsed;
  }
  return kExitOk;
}

std::string FormatNumber(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

StatusOr<double> ParseTimeScale(const std::string& text) {
  char* end = nullptr;
  const double scale = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (end != nullptr && *end == '\0' && std::isfinite(scale) && scale >= 1e-6 && scale <= 1e6) {
    return scale;
  }
  return InvalidArgumentError("--time-scale '" + text +
                              "' must be a factor 0.000001..1000000 (0.1 = ten times faster)");
}

namespace {

namespace po = boost::program_options;

// What --help shows for a value: its name without boost's " (=DEFAULT)", which moves into the
// help text as "(default: DEFAULT)", the way the bridge's and the docs' tables write it.
class ShownValue : public po::value_semantic {
 public:
  ShownValue(std::string name, unsigned max_tokens) : name_(std::move(name)), max_(max_tokens) {}
  std::string name() const override { return name_; }
  unsigned min_tokens() const override { return max_ == 0 ? 0 : 1; }
  unsigned max_tokens() const override { return max_; }
  bool is_composing() const override { return false; }
  bool is_required() const override { return false; }
  void parse(boost::any&, const std::vector<std::string>&, bool) const override {}
  bool apply_default(boost::any&) const override { return false; }
  void notify(const boost::any&) const override {}

 private:
  std::string name_;
  unsigned max_;
};

// A deprecated spelling: parsed like the option it stands for (same number of tokens), then
// stored under that option's name; it has no default and no notifier of its own.
class AliasValue : public po::value_semantic {
 public:
  explicit AliasValue(boost::shared_ptr<const po::value_semantic> of) : of_(std::move(of)) {}
  std::string name() const override { return of_->name(); }
  unsigned min_tokens() const override { return of_->min_tokens(); }
  unsigned max_tokens() const override { return of_->max_tokens(); }
  bool is_composing() const override { return of_->is_composing(); }
  bool is_required() const override { return false; }
  void parse(boost::any& v, const std::vector<std::string>& t, bool utf8) const override {
    of_->parse(v, t, utf8);
  }
  bool apply_default(boost::any&) const override { return false; }
  void notify(const boost::any&) const override {}

 private:
  boost::shared_ptr<const po::value_semantic> of_;
};

// `options` as --help prints it: every default as "(default: X)" at the end of the help text.
po::options_description HelpView(const po::options_description& options) {
  // boost keeps the caption private; it prints it as the first line, "CAPTION:".
  std::ostringstream printed;
  printed << options;
  std::string caption = printed.str().substr(0, printed.str().find('\n'));
  if (!caption.empty() && caption.back() == ':' && caption.rfind("  ", 0) != 0) {
    caption.pop_back();
  } else {
    caption.clear();
  }
  po::options_description view(caption);
  for (const auto& o : options.options()) {
    std::string name = o->long_name();
    const std::string shown =
        o->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (shown.size() == 2 && shown[0] == '-' && shown[1] != '-') name += "," + shown.substr(1);
    std::string param = o->format_parameter();
    std::string help = o->description();
    if (const size_t at = param.find(" (="); at != std::string::npos && param.back() == ')') {
      help += " (default: " + param.substr(at + 3, param.size() - at - 4) + ")";
      param.resize(at);
    }
    view.add(boost::make_shared<po::option_description>(
        name.c_str(), new ShownValue(param, o->semantic()->max_tokens()), help.c_str()));
  }
  return view;
}

// Parses with the deprecated spellings too; each one used is renamed to its option and warned
// about once on stderr. A spelling given together with its new name is an error.
po::parsed_options ParseWithAliases(const std::vector<std::string>& args, const std::string& sub,
                                    const po::options_description& options,
                                    const po::positional_options_description& positional,
                                    const std::vector<FlagAlias>& deprecated) {
  po::options_description all;
  all.add(options);
  for (const FlagAlias& a : deprecated) {
    const po::option_description& of = options.find(a.new_name, false);
    all.add(boost::make_shared<po::option_description>(a.old_name.c_str(),
                                                       new AliasValue(of.semantic()), ""));
  }
  po::parsed_options parsed =
      po::command_line_parser(args).options(all).positional(positional).run();
  parsed.description = &options;
  for (const FlagAlias& a : deprecated) {
    bool used = false, new_used = false;
    for (po::option& o : parsed.options) {
      new_used |= o.string_key == a.new_name;
      if (o.string_key != a.old_name) continue;
      o.string_key = a.new_name;
      used = true;
    }
    if (!used) continue;
    if (new_used) {
      throw po::error("--" + a.old_name + " is the deprecated spelling of --" + a.new_name +
                      "; give only --" + a.new_name);
    }
    std::cerr << "lnsim " << sub << ": warning: --" << a.old_name << " is deprecated; use --"
              << a.new_name << std::endl;
  }
  return parsed;
}

}  // namespace

bool ParseOptions(const std::vector<std::string>& args, const std::string& usage,
                  boost::program_options::options_description& options,
                  const boost::program_options::positional_options_description& positional,
                  boost::program_options::variables_map* vm, int* exit_code,
                  const std::vector<FlagAlias>& deprecated) {
  options.add_options()("help,h", "show this help and exit");
  const std::string sub = usage.size() > 6 ? usage.substr(6, usage.find(' ', 6) - 6) : "";
  try {
    po::store(ParseWithAliases(args, sub, options, positional, deprecated), *vm);
    if (vm->count("help")) {
      std::cout << "usage: " << usage << "\n\n" << HelpView(options) << std::flush;
      *exit_code = kExitOk;
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    *exit_code = UsageError(sub, e.what());
    return false;
  }
  return true;
}

namespace {

void PrintHelp() {
  std::cout << "usage: lnsim <subcommand> [options]\n"
               "       lnsim --version | --help\n\n"
               "lnsim simulates a LINSTOR cluster, serves it as a LINSTOR controller, runs a\n"
               "LINSTOR -> NATS bridge against it and judges the events it publishes.\n\n"
               "subcommands:\n";
  for (const auto& [name, sub] : Registry()) {
    std::string padded = name;
    padded.resize(14, ' ');
    std::cout << "  " << padded << sub.summary << "\n";
  }
  std::cout << "\n`lnsim <subcommand> --help` lists each subcommand's options with defaults.\n"
               "Exit codes: 0 passed, 1 an SLO or check failed, 2 bad usage or configuration,\n"
               "3 infrastructure failure or interrupted (SIGINT/SIGTERM).\n";
}

}  // namespace
}  // namespace lnsim::cli

int main(int argc, char** argv) {
  using namespace lnsim::cli;
  if (argc < 2) {
    PrintHelp();
    return kExitUsage;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    PrintHelp();
    return kExitOk;
  }
  if (first == "--version" || first == "version") {
    std::cout << "lnsim " << VersionString() << std::endl;
    return kExitOk;
  }
  auto it = Registry().find(first);
  if (it == Registry().end()) {
    return UsageError("", "unknown subcommand '" + first + "'");
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  return it->second.run(args);
}
