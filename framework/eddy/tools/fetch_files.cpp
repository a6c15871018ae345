// SPDX-License-Identifier: MIT
#include "fetch_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "eddy/http/url_codec.hpp"

namespace eddy::tools {

namespace {
constexpr std::size_t max_name_bytes = 120;

bool is_safe_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
}  // namespace

std::string safe_file_name(std::string_view encoded_path) {
  std::string_view segment = encoded_path.substr(encoded_path.rfind('/') + 1);
  std::string decoded;
  if (!http::percent_decode(segment, decoded)) decoded.assign(segment);  // bad escapes: keep raw
  std::string name;
  for (unsigned char c : decoded) name += is_safe_byte(c) ? static_cast<char>(c) : '_';
  // No hidden files, and never "." or "..": dots only after the first other character.
  name.erase(0, name.find_first_not_of('.'));
  if (name.size() > max_name_bytes) {
    // Keep a short extension: "long...name.jpg" stays a .jpg.
    const auto dot = name.rfind('.');
    const std::string ext = dot != std::string::npos && name.size() - dot <= 10 ? name.substr(dot) : "";
    name = name.substr(0, max_name_bytes - ext.size()) + ext;
  }
  return name.empty() ? "index.html" : name;
}

std::string numbered_file_name(std::string_view name, std::size_t n) {
  if (n == 0) return std::string(name);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) dot = name.size();
  return std::string(name.substr(0, dot)) + "-" + std::to_string(n) + std::string(name.substr(dot));
}

output_directory::output_directory(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  if (!std::filesystem::is_directory(dir_)) {
    throw std::filesystem::filesystem_error("not a directory", dir_, std::make_error_code(std::errc::not_a_directory));
  }
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw std::filesystem::filesystem_error("cannot open", dir_, last_system_error());
}

output_directory::~output_directory() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::string output_directory::reserve(std::string_view wanted) {
  for (std::size_t n = 0;; ++n) {
    std::string name = numbered_file_name(wanted, n);
    if (taken_.insert(name).second) return name;
  }
}

result<int> output_directory::create(std::string& name) {
  const std::string wanted = name;
  for (std::size_t n = 0;; ++n) {
    std::string candidate = numbered_file_name(wanted, n);
    // Names reserved by other URLs of this run stay theirs, except our own reservation.
    if (n > 0 && !taken_.insert(candidate).second) continue;
    const int fd = ::openat(dir_fd_, candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      name = std::move(candidate);
      return fd;
    }
    if (errno != EEXIST) return unexpected(last_system_error());
  }
}

void output_directory::remove(const std::string& name) noexcept { (void)::unlinkat(dir_fd_, name.c_str(), 0); }

std::error_code write_fully(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_system_error();
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace eddy::tools
