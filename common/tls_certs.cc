// Certificate generation with OpenSSL 3's EVP/X509 API (see tls_certs.h). Every OpenSSL object
// is owned by a unique_ptr with its free function, so an error return leaks nothing.
#include "common/tls_certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace lnsim::tls {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

// The OpenSSL error queue as text (and cleared), for messages.
std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

Status SslError(const std::string& step) {
  return InternalError("certificate generation: " + step + ": " + OpenSslErrors());
}

StatusOr<KeyPtr> NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return SslError("EC P-256 key generation");
  return key;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return SslError(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return SslError(std::string("adding extension ") + OBJ_nid2sn(nid));
  return OkStatus();
}

struct Issuer {
  X509* cert = nullptr;  // null: self-signed
  EVP_PKEY* key = nullptr;
};

// A certificate for `key` named `common_name`, signed by `issuer` (self-signed when its cert is
// null), with `extensions` (nid, value) added in order.
StatusOr<CertPtr> NewCertificate(EVP_PKEY* key, const std::string& common_name, Issuer issuer,
                                 int valid_days,
                                 const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  if (!cert) return SslError("X509_new");
  if (X509_set_version(cert.get(), 2) != 1) return SslError("X509_set_version");
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return SslError("RAND_bytes");
  serial_bytes[0] &= 0x7f;  // positive
  BnPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return SslError("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * valid_days) == nullptr) {
    return SslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("lnsim"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    return SslError("subject name");
  }
  X509* issuer_cert = issuer.cert != nullptr ? issuer.cert : cert.get();
  EVP_PKEY* issuer_key = issuer.key != nullptr ? issuer.key : key;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1) {
    return SslError("issuer name");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return SslError("X509_set_pubkey");
  for (const auto& [nid, value] : extensions) {
    LNSIM_RETURN_IF_ERROR(AddExtension(cert.get(), issuer_cert, nid, value));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return SslError("X509_sign");
  return cert;
}

// Writes `pem` to `path` with `mode` (also when the file existed with another mode).
Status WriteFile(const std::string& path, const std::string& pem, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return InternalError("cannot write '" + path + "': " + std::strerror(errno));
  Status st = OkStatus();
  if (fchmod(fd, mode) != 0) {
    st = InternalError("cannot chmod '" + path + "': " + std::strerror(errno));
  }
  size_t done = 0;
  while (st.ok() && done < pem.size()) {
    const ssize_t n = write(fd, pem.data() + done, pem.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      st = InternalError("cannot write '" + path + "': " + std::strerror(errno));
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 && st.ok()) {
    st = InternalError("cannot write '" + path + "': " + std::strerror(errno));
  }
  return st;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

Status WriteCert(const std::string& path, X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return SslError("PEM of " + path);
  return WriteFile(path, BioText(bio.get()), 0644);
}

Status WriteKey(const std::string& path, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return SslError("PEM of " + path);
  }
  return WriteFile(path, BioText(bio.get()), 0600);
}

}  // namespace

StatusOr<CertificateFiles> GenerateCertificates(const std::string& dir,
                                                const CertificateOptions& options) {
  std::string san;
  // Appended piecewise: GCC 12's -Wrestrict misfires on `"lit" + std::string&&` at -O2.
  auto add_san = [&san](std::string_view kind, const std::string& value) {
    if (!san.empty()) san += ',';
    san.append(kind).append(value);
  };
  for (const auto& dns : options.dns_names) add_san("DNS:", dns);
  for (const auto& ip : options.ip_addresses) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
      return InvalidArgumentError("certificate IP address '" + ip + "' is not an IP address");
    }
    add_san("IP:", ip);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return InternalError("cannot create certificate directory '" + dir + "': " + ec.message());

  CertificateFiles files;
  files.dir = dir;
  files.ca_cert = dir + "/ca.pem";
  files.ca_key = dir + "/ca-key.pem";
  files.server_cert = dir + "/server.pem";
  files.server_key = dir + "/server-key.pem";
  files.client_cert = dir + "/client.pem";
  files.client_key = dir + "/client-key.pem";

  LNSIM_ASSIGN_OR_RETURN(KeyPtr ca_key, NewKey());
  LNSIM_ASSIGN_OR_RETURN(CertPtr ca,
                         NewCertificate(ca_key.get(), options.name + " CA", {}, options.valid_days,
                                        {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                         {NID_subject_key_identifier, "hash"}}));
  const Issuer by_ca{ca.get(), ca_key.get()};

  LNSIM_ASSIGN_OR_RETURN(KeyPtr server_key, NewKey());
  std::vector<std::pair<int, std::string>> server_ext = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, "serverAuth,clientAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (!san.empty()) server_ext.emplace_back(NID_subject_alt_name, san);
  LNSIM_ASSIGN_OR_RETURN(CertPtr server, NewCertificate(server_key.get(), options.name + " server",
                                                        by_ca, options.valid_days, server_ext));

  LNSIM_ASSIGN_OR_RETURN(KeyPtr client_key, NewKey());
  LNSIM_ASSIGN_OR_RETURN(
      CertPtr client,
      NewCertificate(client_key.get(), options.name + " client", by_ca, options.valid_days,
                     {{NID_basic_constraints, "critical,CA:FALSE"},
                      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                      {NID_ext_key_usage, "clientAuth"},
                      {NID_subject_key_identifier, "hash"},
                      {NID_authority_key_identifier, "keyid:always"}}));

  LNSIM_RETURN_IF_ERROR(WriteKey(files.ca_key, ca_key.get()));
  LNSIM_RETURN_IF_ERROR(WriteCert(files.ca_cert, ca.get()));
  LNSIM_RETURN_IF_ERROR(WriteKey(files.server_key, server_key.get()));
  LNSIM_RETURN_IF_ERROR(WriteCert(files.server_cert, server.get()));
  LNSIM_RETURN_IF_ERROR(WriteKey(files.client_key, client_key.get()));
  LNSIM_RETURN_IF_ERROR(WriteCert(files.client_cert, client.get()));
  return files;
}

Status CheckReadableFile(const std::string& path, const std::string& what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return InvalidArgumentError(
        what + " '" + path + "': " +
        (errno == ENOENT ? std::string("no such file") : std::string(std::strerror(errno))));
  }
  if (!S_ISREG(st.st_mode))
    return InvalidArgumentError(what + " '" + path + "': not a regular file");
  if (access(path.c_str(), R_OK) != 0) {
    return InvalidArgumentError(what + " '" + path + "': not readable (" + std::strerror(errno) +
                                ")");
  }
  return OkStatus();
}

Status ClientTlsFiles::Validate(const std::string& flag_prefix) const {
  if (cert.empty() != key.empty()) {
    return InvalidArgumentError(flag_prefix + "-cert and " + flag_prefix +
                                "-key must be given together (a client certificate needs its key)");
  }
  if (!ca.empty()) LNSIM_RETURN_IF_ERROR(CheckReadableFile(ca, flag_prefix + "-ca"));
  if (!cert.empty()) LNSIM_RETURN_IF_ERROR(CheckReadableFile(cert, flag_prefix + "-cert"));
  if (!key.empty()) LNSIM_RETURN_IF_ERROR(CheckReadableFile(key, flag_prefix + "-key"));
  return OkStatus();
}

}  // namespace lnsim::tls
