// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include "eddy/core/result.hpp"

namespace eddy::tools {

/// A file name for the body of the URL path `encoded_path` (as `http::url::path()` gives it):
/// its last segment, percent-decoded, with every byte outside `[A-Za-z0-9._-]` replaced by
/// `_`, leading dots dropped and the length capped at 120 bytes; "index.html" when nothing is
/// left. The result never contains a `/`, is never `.` or `..` and never names a hidden file,
/// so joined to the output directory it cannot leave it.
std::string safe_file_name(std::string_view encoded_path);

/// `name` with `-N` before its extension ("cat.jpg", 2 -> "cat-2.jpg"); `name` itself for 0.
std::string numbered_file_name(std::string_view name, std::size_t n);

/// The directory bodies are written to (`eddy fetch -o DIR`). Names are handed out once per
/// run and existing files are never overwritten: a name that is taken, in this run or on
/// disk, gets a number (`cat-1.jpg`, `cat-2.jpg`, ...).
class output_directory {
 public:
  /// Creates `dir` (and its parents) if needed. Throws `std::filesystem::filesystem_error`
  /// when it cannot be created or is not a directory.
  explicit output_directory(std::filesystem::path dir);
  ~output_directory();
  output_directory(const output_directory&) = delete;
  output_directory& operator=(const output_directory&) = delete;

  /// Reserves a name for `wanted` in this run (numbered if an earlier call took it), without
  /// touching the disk; pass it to `create` later. Reserving in input order makes names
  /// independent of the order in which concurrent fetches finish.
  std::string reserve(std::string_view wanted);

  /// Creates the file `name` (exclusively, no symlink followed, mode 0644); if it exists, the
  /// next free numbered name is used instead and stored back into `name`. Returns the open
  /// descriptor, or the error (permissions, disk full).
  result<int> create(std::string& name);

  /// Removes the file `name` (an incomplete download).
  void remove(const std::string& name) noexcept;

  /// The directory as given, for messages (`dir/name`).
  const std::filesystem::path& path() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
  int dir_fd_ = -1;
  std::set<std::string, std::less<>> taken_;
};

/// Writes all of `bytes` to the descriptor `fd` (retrying short writes and EINTR).
std::error_code write_fully(int fd, std::string_view bytes) noexcept;

}  // namespace eddy::tools
