// SPDX-License-Identifier: MIT
// The static-file path resolver (http/static_files.hpp) against a real directory tree with a
// subdirectory, a symlink that points outside the root and one that stays inside, and a
// sibling directory whose name extends the root's ("<root>-evil", the prefix trap).
// Input: a raw request path suffix; it is tried as given and after the server's own
// normalization (url_codec's normalize_path), as a file and as a directory.
// Property: a resolved path is the root or lies strictly under it (after resolving symlinks),
// and never inside the sibling or the outside directory.
#include "eddy/http/static_files.hpp"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "eddy/http/url_codec.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

namespace http = eddy::http;
namespace fs = std::filesystem;

struct tree {
  fs::path top, root;
  std::string real_root;
  tree() {
    char tmpl[] = "/tmp/eddy-fuzz-root-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    top = tmpl;
    root = top / "www";
    fs::create_directories(root / "sub" / "deeper");
    fs::create_directories(top / "www-evil");
    fs::create_directories(top / "outside");
    std::ofstream(root / "index.html") << "index";
    std::ofstream(root / "a.txt") << "a";
    std::ofstream(root / "sub" / "b.txt") << "b";
    std::ofstream(root / "sub" / "deeper" / "c.txt") << "c";
    std::ofstream(top / "www-evil" / "secret") << "secret";
    std::ofstream(top / "outside" / "secret") << "secret";
    fs::create_symlink(top / "outside", root / "out_link");
    fs::create_symlink(top / "outside" / "secret", root / "secret_link");
    fs::create_symlink(root / "sub", root / "in_link");
    char buf[PATH_MAX];
    if (!::realpath(root.c_str(), buf)) throw std::runtime_error("realpath failed");
    real_root = buf;
  }
  ~tree() {
    std::error_code ec;
    fs::remove_all(top, ec);
  }
};

const tree& the_tree() {
  static tree t;
  return t;
}

void check(std::string_view relative) {
  const tree& t = the_tree();
  for (bool dir : {false, true}) {
    auto got = http::resolve_static_path(t.root.string(), relative, dir);
    if (!got) continue;
    const std::string& p = *got;
    bool is_root = p == t.real_root;
    bool under = p.size() > t.real_root.size() + 1 && p.compare(0, t.real_root.size(), t.real_root) == 0 &&
                 p[t.real_root.size()] == '/';
    if (!(is_root || under)) std::fprintf(stderr, "escaped the root: '%s' -> '%s'\n", std::string(relative).c_str(), p.c_str());
    EDDY_FUZZ_CHECK(is_root || under);
    EDDY_FUZZ_CHECK(p.find("/outside") == std::string::npos && p.find("www-evil") == std::string::npos);
    EDDY_FUZZ_CHECK(dir || fs::is_regular_file(p));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // PATH_MAX bounds what the resolver can meaningfully see
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  check(raw);
  std::string normalized;
  std::string with_slash = "/" + std::string(raw);
  if (http::normalize_path(with_slash, normalized)) check(normalized);
  return 0;
}
