// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <eddy/net/tls_context.hpp>

#include "load_options.hpp"

namespace eddy::tools {

/// One request of a load test, serialised once: the bytes are written as they are.
struct load_request {
  std::string method;
  /// Absolute URL, for reports.
  std::string url;
  /// The whole request: head and body.
  std::string bytes;
  /// HEAD: the response has no body whatever its headers say.
  bool head = false;
  unsigned weight = 1;
};

/// What the run sends: the target and the requests, in the weighted order the run cycles
/// through as one sequence shared by all its connections (smooth weighted round-robin, so
/// weights 3:1 give A A B A, not A A A B; with -n the mix is exact).
struct load_plan {
  std::string host;  ///< for connecting (no brackets); also the TLS server name
  std::uint16_t port = 0;
  /// https targets: the client context every connection shares (verification as the
  /// options say, ALPN "http/1.1", handshakes bounded by --timeout). Empty for http.
  std::optional<tls_context> tls;
  std::vector<load_request> requests;
  std::vector<std::uint32_t> order;  ///< indices into `requests`; length = sum of weights
};

/// Builds the plan for `o`: the URL (or `o.scenario`, a JSON file), method, headers and body
/// (`@file` is read here), and for https the TLS context (`--cacert` is loaded here). Throws
/// `std::invalid_argument` with a message for the user on a bad URL, a scheme other than http
/// or https, a malformed header, an unreadable file, an unusable `--cacert` or a bad scenario.
load_plan make_load_plan(const load_options& o);

/// Serialises one request: `METHOD target HTTP/1.1`, Host (unless among `headers`),
/// User-Agent (likewise), the headers, Content-Length when there is a body, the body.
std::string serialize_load_request(const std::string& method, const std::string& host_header,
                                   const std::string& target, const std::vector<std::string>& headers,
                                   const std::string& body);

}  // namespace eddy::tools
