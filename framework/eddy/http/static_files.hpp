// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "eddy/http/request.hpp"
#include "eddy/http/response.hpp"

namespace eddy::http {

/// Resolves `relative` (an already-decoded request path suffix) inside `root`. Returns nullopt
/// if it would leave the root: `..` segments, absolute paths, NUL bytes, backslashes, or a
/// symlink pointing outside. The result is an existing regular file (or a directory when
/// `allow_directory`).
std::optional<std::string> resolve_static_path(std::string_view root, std::string_view relative,
                                               bool allow_directory = false);

/// The Content-Type for a file name, from its extension ("application/octet-stream" if
/// unknown).
std::string_view content_type_for(std::string_view filename) noexcept;

/// Answers `req` with the file at `path`: ETag and Last-Modified, 304 for a matching
/// If-None-Match / If-Modified-Since, a single `Range` as 206, an unsatisfiable one as 416.
response file_response(const request& req, const std::string& path);

}  // namespace eddy::http
