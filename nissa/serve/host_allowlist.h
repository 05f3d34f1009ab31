// The names Nissa's HTTP API answers to. A web page can make a browser send requests to Nissa
// through a DNS name of its own that it re-points at 127.0.0.1 (DNS rebinding); the browser then
// treats Nissa as the page's own origin and lets the page read every answer. Such a request still
// says the page's name in its Host header, so Nissa answers only requests whose Host is:
//   - localhost or a loopback address (127.0.0.0/8, ::1),
//   - the address it is bound to, or any IP address when bound to 0.0.0.0 or ::,
//   - a name of `http.allowed_hosts` ("nissa.example" with any port, "nissa.example:8443" with that
//     one only; "*" turns the check off, for a proxy that rewrites Host to anything).
// The port of a built-in name is not compared: a tunnel (ssh -L 8080:127.0.0.1:9464) changes it, a
// rebinding page cannot change the name.
#ifndef ESPER_NISSA_SERVE_HOST_ALLOWLIST_H_
#define ESPER_NISSA_SERVE_HOST_ALLOWLIST_H_

#include <string>
#include <string_view>
#include <vector>

namespace esper::nissa {

class HostAllowlist {
 public:
  HostAllowlist(std::string_view bound_address, const std::vector<std::string>& allowed_hosts);

  // Whether a Host header value ("127.0.0.1:9464", "[::1]:9464", "localhost") names this server.
  bool allows(std::string_view host) const;

 private:
  struct Entry {
    std::string name;  // Lower case, IPv6 without brackets.
    std::string port;  // Empty: any port.
  };
  std::string bound_;     // The bound address as a name (lower case, no brackets).
  bool bound_wildcard_ = false;
  bool any_ = false;      // "*" was configured.
  std::vector<Entry> entries_;
};

// The host part and the port of a Host header (or of an authority such as "[::1]:80"): brackets
// removed, lower case, a trailing dot dropped. False if it is malformed.
bool split_host_port(std::string_view authority, std::string* host, std::string* port);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_HOST_ALLOWLIST_H_
