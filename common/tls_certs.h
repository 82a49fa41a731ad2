// A throwaway PKI for TLS on loopback: one CA, a server certificate for 127.0.0.1, ::1 and
// localhost, and a client certificate, generated with the OpenSSL 3 library (no `openssl`
// command line). Used by `lnsim mock-linstor --https-port` (LINSTOR serves HTTPS on 3371), by
// `lnsim run` with `nats.tls: true` and by the TLS tests. Also the file checks that turn "TLS
// file missing" into an error naming the flag and the file before a TLS library reports it
// vaguely.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace lnsim::tls {

// PEM files in one directory. Private keys are written with mode 0600, certificates 0644.
struct CertificateFiles {
  std::string dir;
  std::string ca_cert;      // DIR/ca.pem        the CA clients and servers trust
  std::string ca_key;       // DIR/ca-key.pem
  std::string server_cert;  // DIR/server.pem    serverAuth + clientAuth (nats routes use both)
  std::string server_key;   // DIR/server-key.pem
  std::string client_cert;  // DIR/client.pem    clientAuth
  std::string client_key;   // DIR/client-key.pem
};

struct CertificateOptions {
  // Subject alternative names of the server certificate.
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  std::string name = "lnsim";  // common names: "<name> CA", "<name> server", "<name> client"
  int valid_days = 30;
};

// Creates `dir` (and parents) when missing and writes the six files, replacing existing ones.
// ECDSA P-256 keys, SHA-256 signatures, random 128-bit serials; the certificates are valid from
// one hour ago (clock skew) for valid_days. kInternal naming the file or the OpenSSL step on
// failure; kInvalidArgument for an IP address that does not parse.
StatusOr<CertificateFiles> GenerateCertificates(const std::string& dir,
                                                const CertificateOptions& options = {});

// OK when `path` names a readable regular file. Otherwise kInvalidArgument
// "<what> 'PATH': no such file" / "...: not readable" / "...: not a regular file", where `what`
// names the flag or key that gave the path (e.g. "--tls-ca").
Status CheckReadableFile(const std::string& path, const std::string& what);

// Client side of a TLS connection: which CA to trust and, for mutual TLS, the client's own
// certificate and key. Empty fields are unset. Shared by the bridge and the harness.
struct ClientTlsFiles {
  std::string ca;    // --tls-ca: PEM CA bundle that signed the server's certificate
  std::string cert;  // --tls-cert: client certificate chain (PEM)
  std::string key;   // --tls-key: the client certificate's private key (PEM)

  bool any() const { return !ca.empty() || !cert.empty() || !key.empty(); }
  // Every set file readable; cert and key given together. kInvalidArgument naming the flag with
  // `flag_prefix` (e.g. "--tls" gives "--tls-ca", "--linstor" gives "--linstor-ca").
  Status Validate(const std::string& flag_prefix) const;
};

}  // namespace lnsim::tls
