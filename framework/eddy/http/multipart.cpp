// SPDX-License-Identifier: MIT
#include "eddy/http/multipart.hpp"

#include "eddy/http/headers.hpp"

namespace eddy::http {
namespace {

// The value of parameter `key` in "type; a=1; b=\"x y\"" (quoted-string unescaped).
std::optional<std::string> parameter(std::string_view header, std::string_view key) {
  std::size_t pos = header.find(';');
  while (pos != std::string_view::npos) {
    std::string_view rest = header.substr(pos + 1);
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = trim_ows(rest.substr(0, eq));
    rest = trim_ows(rest.substr(eq + 1));
    std::string value;
    std::size_t consumed = 0;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      if (i >= rest.size()) return std::nullopt;  // unterminated quote
      consumed = i + 1;
    } else {
      auto end = rest.find(';');
      value = std::string(trim_ows(rest.substr(0, end)));
      consumed = end == std::string_view::npos ? rest.size() : end;
    }
    if (iequals(name, key)) return value;
    std::string_view after = rest.substr(consumed);
    auto next = after.find(';');
    if (next == std::string_view::npos) return std::nullopt;
    pos = static_cast<std::size_t>(after.data() + next - header.data());
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  std::string_view type = trim_ows(content_type.substr(0, content_type.find(';')));
  if (!iequals(type, "multipart/form-data")) return std::nullopt;
  auto b = parameter(content_type, "boundary");
  // RFC 2046: 1 to 70 characters.
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

std::vector<form_part> parse_multipart(std::string_view body, std::string_view boundary,
                                       std::size_t max_parts) {
  const std::string delimiter = "--" + std::string(boundary);
  const std::string separator = "\r\n" + delimiter;
  std::vector<form_part> parts;
  // The preamble before the first delimiter is ignored (RFC 2046 5.1.1).
  std::size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    auto first = body.find(separator);
    if (first == std::string_view::npos) throw multipart_error("multipart body has no delimiter");
    pos = first + separator.size();
  }
  for (;;) {
    // After a delimiter: "--" ends the body, CRLF starts a part.
    if (body.substr(pos, 2) == "--") return parts;
    // Transport padding (spaces) may follow a delimiter.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") throw multipart_error("malformed multipart delimiter line");
    pos += 2;
    auto head_end = body.find("\r\n\r\n", pos);
    std::string_view head;
    std::size_t data_start;
    if (body.substr(pos, 2) == "\r\n") {  // a part with no headers
      data_start = pos + 2;
    } else {
      if (head_end == std::string_view::npos) throw multipart_error("multipart part has no header end");
      head = body.substr(pos, head_end - pos);
      data_start = head_end + 4;
    }
    auto data_end = body.find(separator, data_start);
    if (data_end == std::string_view::npos) throw multipart_error("multipart body has no final delimiter");
    if (parts.size() >= max_parts) throw multipart_error("too many multipart parts");

    form_part part;
    part.content_type = "text/plain";
    bool disposition = false;
    while (!head.empty()) {
      auto eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) throw multipart_error("malformed multipart header line");
      std::string_view name = trim_ows(line.substr(0, colon));
      std::string_view value = trim_ows(line.substr(colon + 1));
      if (iequals(name, "content-disposition")) {
        if (!iequals(trim_ows(value.substr(0, value.find(';'))), "form-data")) {
          throw multipart_error("multipart part is not form-data");
        }
        auto field = parameter(value, "name");
        if (!field) throw multipart_error("multipart part has no name");
        part.name = std::move(*field);
        if (auto file = parameter(value, "filename")) {
          // Keep the last path component only: a client's "C:\\dir\\x" or "../../x" never
          // becomes a path on the server.
          std::string f = std::move(*file);
          auto slash = f.find_last_of("/\\");
          part.filename = slash == std::string::npos ? f : f.substr(slash + 1);
          if (part.filename.empty() || part.filename == "." || part.filename == "..") part.filename = "upload";
        }
        disposition = true;
      } else if (iequals(name, "content-type")) {
        part.content_type = std::string(value);
      }
    }
    if (!disposition) throw multipart_error("multipart part has no Content-Disposition");
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    pos = data_end + separator.size();
  }
}

}  // namespace eddy::http
