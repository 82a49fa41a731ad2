// `lnsim auth init DIR --cluster NAME...`: an operator, accounts and least-privilege users for
// the bridge(s) and consumers as NATS JWTs signed with nkeys (harness/nats_auth.h), a
// nats-server config fragment (operator mode, MEMORY resolver) and .creds files (0600).
#include <iostream>

#include "cli/subcommand.h"
#include "harness/nats_auth.h"

namespace lnsim::cli {
namespace {

namespace po = boost::program_options;

int RunAuthInit(const std::vector<std::string>& args) {
  po::options_description options("lnsim auth init options");
  // clang-format off
  options.add_options()
      ("out-dir", po::value<std::string>()->value_name("DIR"),
       "output directory, created 0700 (positional DIR)")
      ("cluster", po::value<std::vector<std::string>>()->value_name("NAME"),
       "LINSTOR cluster name (the bridge's --cluster); repeat for several bridges")
      ("stream", po::value<std::vector<std::string>>()->value_name("CLUSTER=STREAM"),
       "the cluster's JetStream stream (default: LINSTOR_<CLUSTER>, as lnsim bridge)")
      ("bucket", po::value<std::vector<std::string>>()->value_name("CLUSTER=BUCKET"),
       "the cluster's state mirror bucket (default: linstor_<cluster>_state, as lnsim bridge)")
      ("operator-name", po::value<std::string>()->value_name("NAME")->default_value("lnsim"),
       "operator name")
      ("account-name", po::value<std::string>()->value_name("NAME")->default_value("LINSTOR"),
       "account of the bridges and consumers")
      ("no-admin", po::bool_switch(), "do not write admin.creds (a user of the whole account)")
      ("shared-inbox", po::bool_switch(),
       "let every user subscribe _INBOX.> (for clients that cannot set an inbox prefix)");
  // clang-format on
  po::positional_options_description positional;
  positional.add("out-dir", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, "lnsim auth init DIR --cluster NAME [--cluster NAME...] [options]",
                    options, positional, &vm, &exit_code, {{"dir", "out-dir"}})) {
    return exit_code;
  }
  if (!vm.count("out-dir")) return UsageError("auth init", "missing DIR");
  if (!vm.count("cluster")) return UsageError("auth init", "missing --cluster NAME");
  harness::AuthInitOptions o;
  o.dir = vm["out-dir"].as<std::string>();
  o.operator_name = vm["operator-name"].as<std::string>();
  o.account_name = vm["account-name"].as<std::string>();
  o.admin_user = !vm["no-admin"].as<bool>();
  o.private_inboxes = !vm["shared-inbox"].as<bool>();
  for (const auto& name : vm["cluster"].as<std::vector<std::string>>()) {
    harness::AuthCluster c;
    c.name = name;
    o.clusters.push_back(c);
  }
  auto assign = [&](const char* flag, std::string harness::AuthCluster::*field) -> bool {
    if (!vm.count(flag)) return true;
    for (const auto& kv : vm[flag].as<std::vector<std::string>>()) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) {
        UsageError("auth init", std::string("--") + flag + " '" + kv + "': want CLUSTER=NAME");
        return false;
      }
      bool found = false;
      for (auto& c : o.clusters) {
        if (c.name == kv.substr(0, eq)) {
          c.*field = kv.substr(eq + 1);
          found = true;
        }
      }
      if (!found) {
        UsageError("auth init",
                   std::string("--") + flag + " '" + kv + "': no --cluster " + kv.substr(0, eq));
        return false;
      }
    }
    return true;
  };
  if (!assign("stream", &harness::AuthCluster::stream) ||
      !assign("bucket", &harness::AuthCluster::bucket)) {
    return kExitUsage;
  }
  RealClock clock;
  auto r = harness::InitAuth(o, clock);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kInvalidArgument) {
      return UsageError("auth init", r.status().message());
    }
    std::cerr << "lnsim auth init: " << r.status().message() << "\n";
    return kExitInfra;
  }
  std::cout << "operator " << r->operator_public_key << "\n"
            << "account  " << r->account_public_key << " (" << o.account_name << ")\n"
            << "system   " << r->system_account_public_key << " (SYS)\n"
            << "server config: " << r->server_conf << "\n";
  for (const auto& [user, path] : r->creds) {
    std::cout << "creds " << user << ": " << path << "  (inbox prefix " << r->inbox_prefix.at(user)
              << ")\n";
  }
  return kExitOk;
}

int RunAuth(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "lnsim auth init DIR --cluster NAME [...]\n"
                 "  Creates a NATS operator, accounts and least-privilege users (bridge per\n"
                 "  cluster, consumer, admin) as JWTs signed with nkeys, a nats-server config\n"
                 "  (operator mode, MEMORY resolver) and .creds files (mode 0600). docs/auth.md.\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] != "init") return UsageError("auth", "unknown action '" + args[0] + "' (want init)");
  return RunAuthInit(std::vector<std::string>(args.begin() + 1, args.end()));
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(auth, "auth",
                          "create NATS operator/account/user JWTs and creds (auth init DIR)",
                          RunAuth);

}  // namespace lnsim::cli
