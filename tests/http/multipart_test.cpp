// SPDX-License-Identifier: MIT
#include "eddy/http/multipart.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace eddy::http;

TEST(Multipart, FindsTheBoundaryInTheContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
}

TEST(Multipart, SplitsFieldsAndFilesWithoutCopying) {
  std::string body =
      "preamble is ignored\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
      "hello\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"upload\"; filename=\"../../etc/passwd\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n"
      "bin\r\nary\r\n--not the delimiter\r\n"
      "--XyZ--\r\n"
      "epilogue";
  auto parts = parse_multipart(body, "XyZ");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "title");
  EXPECT_EQ(parts[0].data, "hello");
  EXPECT_FALSE(parts[0].is_file());
  EXPECT_EQ(parts[0].content_type, "text/plain");
  EXPECT_EQ(parts[1].name, "upload");
  EXPECT_EQ(parts[1].filename, "passwd");  // path components dropped
  EXPECT_EQ(parts[1].content_type, "application/octet-stream");
  EXPECT_EQ(parts[1].data, "bin\r\nary\r\n--not the delimiter");
  EXPECT_GE(parts[1].data.data(), body.data());
  EXPECT_LE(parts[1].data.data() + parts[1].data.size(), body.data() + body.size());
}

TEST(Multipart, EmptyBodyWithOnlyTheCloseDelimiterHasNoParts) {
  EXPECT_TRUE(parse_multipart("--b--\r\n", "b").empty());
}

TEST(Multipart, MalformedBodiesAreRejected) {
  const char* bad[] = {
      "",                                                                       // nothing
      "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",       // no final delimiter
      "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",                     // no disposition
      "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",  // not form-data
      "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",              // no name
      "--b\r\nbroken header\r\n\r\nx\r\n--b--",                                 // no colon
      "--bX\r\n",                                                               // wrong delimiter
  };
  for (const char* b : bad) EXPECT_THROW(parse_multipart(b, "b"), multipart_error) << b;
}

TEST(Multipart, TooManyPartsAreRejected) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
  body += "--b--";
  EXPECT_EQ(parse_multipart(body, "b").size(), 5u);
  EXPECT_THROW(parse_multipart(body, "b", 4), multipart_error);
}

TEST(Multipart, EveryTruncationIsAnErrorNotACrash) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f.txt\"\r\n\r\ndata\r\n--b--\r\n";
  for (std::size_t n = 0; n + 3 < body.size(); ++n) {
    try {
      parse_multipart(std::string_view(body).substr(0, n), "b");
    } catch (const multipart_error&) {
    }
  }
  SUCCEED();
}
