// SPDX-License-Identifier: MIT
#include "eddy/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace eddy::http;

namespace {
constexpr auto get = router::bit(method::get);
constexpr auto post = router::bit(method::post);
}  // namespace

TEST(Router, StaticRoutesBeatParameters) {
  router r;
  auto by_id = r.add(get, "/users/<id:int>");
  auto me = r.add(get, "/users/me");
  EXPECT_EQ(r.match(method::get, "/users/me").route, me);
  auto m = r.match(method::get, "/users/42");
  ASSERT_EQ(m.result, route_match::kind::found);
  EXPECT_EQ(m.route, by_id);
  EXPECT_EQ(m.param("id"), "42");
}

TEST(Router, TypedParametersOnlyMatchTheirShape) {
  router r;
  r.add(get, "/n/<v:int>", "int");
  r.add(get, "/f/<v:float>");
  r.add(get, "/a/<v:alpha>");
  r.add(get, "/s/<v:slug>");
  r.add(get, "/u/<v:uuid>");
  EXPECT_EQ(r.match(method::get, "/n/-12").result, route_match::kind::found);
  EXPECT_EQ(r.match(method::get, "/n/abc").result, route_match::kind::not_found);
  EXPECT_EQ(r.match(method::get, "/f/1.5").result, route_match::kind::found);
  EXPECT_EQ(r.match(method::get, "/f/1.5.5").result, route_match::kind::not_found);
  EXPECT_EQ(r.match(method::get, "/a/abcXYZ").result, route_match::kind::found);
  EXPECT_EQ(r.match(method::get, "/a/abc1").result, route_match::kind::not_found);
  EXPECT_EQ(r.match(method::get, "/s/my-post-1").result, route_match::kind::found);
  EXPECT_EQ(r.match(method::get, "/s/My--Post").result, route_match::kind::not_found);
  EXPECT_EQ(r.match(method::get, "/u/123e4567-e89b-12d3-a456-426614174000").result, route_match::kind::found);
  EXPECT_EQ(r.match(method::get, "/u/123e4567").result, route_match::kind::not_found);
}

TEST(Router, MoreSpecificParameterTypesAreTriedFirstWithBacktracking) {
  router r;
  auto num = r.add(get, "/x/<id:int>/edit");
  auto any = r.add(get, "/x/<name>/view");
  EXPECT_EQ(r.match(method::get, "/x/5/edit").route, num);
  // "5" is an int, but /x/<int>/view does not exist: backtrack to <str>.
  auto m = r.match(method::get, "/x/5/view");
  ASSERT_EQ(m.result, route_match::kind::found);
  EXPECT_EQ(m.route, any);
  EXPECT_EQ(m.param("name"), "5");
}

TEST(Router, PathParameterTakesTheRest) {
  router r;
  r.add(get, "/static/<file:path>");
  auto m = r.match(method::get, "/static/css/site/main.css");
  ASSERT_EQ(m.result, route_match::kind::found);
  EXPECT_EQ(m.param("file"), "css/site/main.css");
  EXPECT_EQ(r.match(method::get, "/static/").result, route_match::kind::not_found);
}

TEST(Router, WrongMethodIs405WithAllow) {
  router r;
  r.add(get | post, "/items");
  r.add(router::bit(method::del), "/items/<id:int>");
  auto m = r.match(method::put, "/items");
  EXPECT_EQ(m.result, route_match::kind::method_not_allowed);
  EXPECT_EQ(allow_header(m.allowed), "GET, HEAD, POST");
  EXPECT_EQ(r.match(method::get, "/nothing").result, route_match::kind::not_found);
}

TEST(Router, HeadFallsBackToGet) {
  router r;
  auto id = r.add(get, "/page");
  auto m = r.match(method::head, "/page");
  ASSERT_EQ(m.result, route_match::kind::found);
  EXPECT_EQ(m.route, id);
}

TEST(Router, TrailingSlashIsLenientUnlessStrict) {
  router lenient;
  lenient.add(get, "/a/b");
  EXPECT_EQ(lenient.match(method::get, "/a/b/").result, route_match::kind::found);
  router strict(true);
  strict.add(get, "/a/b");
  EXPECT_EQ(strict.match(method::get, "/a/b/").result, route_match::kind::not_found);
  EXPECT_EQ(strict.match(method::get, "/a/b").result, route_match::kind::found);
}

TEST(Router, RootRoute) {
  router r;
  auto root = r.add(get, "/");
  EXPECT_EQ(r.match(method::get, "/").route, root);
  EXPECT_EQ(r.match(method::get, "").result, route_match::kind::not_found);
}

TEST(Router, CustomConverters) {
  router r;
  r.add_type("hex", [](std::string_view s) {
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  });
  r.add(get, "/c/<color:hex>");
  EXPECT_EQ(r.match(method::get, "/c/ff00aa").result, route_match::kind::found);
  EXPECT_EQ(r.match(method::get, "/c/zz").result, route_match::kind::not_found);
}

TEST(Router, BadPatternsAreRejectedNamingThePattern) {
  router r;
  r.add(get, "/u/<id:int>");
  auto rejects = [&](std::string_view pattern, std::uint32_t methods = get) {
    try {
      r.add(methods, pattern);
      ADD_FAILURE() << pattern << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(pattern)), std::string::npos) << e.what();
    }
  };
  rejects("no-slash");
  rejects("/u/<id:int>");            // same method twice
  rejects("/u/<uid:int>", post);     // ambiguous with <id:int>
  rejects("/x/<id:bogus>");
  rejects("/x/<id");
  rejects("/x/a<id>");
  rejects("/x/<p:path>/more");
  rejects("/x/<a>/<a>");
  r.add(post, "/u/<id:int>");        // same pattern, another method: fine
  r.freeze();
  rejects("/late");
}

TEST(Router, UrlForBuildsPathsAndQueryStrings) {
  router r;
  r.add(get, "/users/<id:int>/files/<name>", "user_file");
  EXPECT_EQ(r.url_for("user_file", {{"id", "7"}, {"name", "a b/c"}, {"page", "2"}}),
            "/users/7/files/a%20b%2Fc?page=2");
  EXPECT_THROW(r.url_for("user_file", {{"id", "x"}, {"name", "n"}}), std::invalid_argument);
  EXPECT_THROW(r.url_for("user_file", {{"id", "1"}}), std::invalid_argument);
  EXPECT_THROW(r.url_for("nope"), std::invalid_argument);
}

TEST(Router, ManyRoutesStillMatchByTree) {
  router r;
  for (int i = 0; i < 2000; ++i) r.add(get, "/r" + std::to_string(i) + "/<id:int>");
  auto m = r.match(method::get, "/r1999/5");
  ASSERT_EQ(m.result, route_match::kind::found);
  EXPECT_EQ(m.route, 1999u);
}

namespace {
// Every field a caller can see of a match.
std::string describe(const route_match& m) {
  std::string s = std::to_string(static_cast<int>(m.result)) + " route=" + std::to_string(m.route) +
                  " allowed=" + std::to_string(m.allowed);
  for (std::size_t i = 0; i < m.param_count; ++i) {
    s += " " + std::string(m.params[i].name) + "=" + std::string(m.params[i].value);
  }
  return s;
}

void add_mixed_routes(router& r) {
  r.add(get, "/");
  r.add(get, "/plaintext");
  r.add(get | post, "/a/b/c");
  r.add(get, "/users/me");
  r.add(post, "/users/<id:int>");
  r.add(router::bit(method::head), "/users/<name>");
  r.add(get, "/users/<id:int>");
  r.add(get, "/files/<rest:path>");
  r.add(post, "/files/readme");
}
}  // namespace

TEST(Router, FrozenStaticPathsMatchExactlyAsTheTreeDoes) {
  // Freezing indexes the static paths; every match must stay what the tree walk answers.
  for (bool strict : {false, true}) {
    router walk(strict);
    router indexed(strict);
    add_mixed_routes(walk);
    add_mixed_routes(indexed);
    indexed.freeze();
    for (const char* path : {"/", "/plaintext", "/plaintext/", "/a/b/c", "/a/b", "/a/b/c/d", "/users/me",
                             "/users/42", "/users/bob", "/files/readme", "/files/a/b", "/a//b", "/x/y",
                             "/nope", "", "plaintext", "//"}) {
      for (method m : {method::get, method::head, method::post, method::put}) {
        EXPECT_EQ(describe(indexed.match(m, path)), describe(walk.match(m, path)))
            << "strict=" << strict << " " << static_cast<int>(m) << " " << path;
      }
    }
  }
}

TEST(Router, AFrozenStaticPathWithoutTheMethodFallsBackToParameters) {
  router r;
  auto me = r.add(get, "/users/me");
  auto by_id = r.add(post, "/users/<id>");
  r.freeze();
  EXPECT_EQ(r.match(method::get, "/users/me").route, me);
  auto m = r.match(method::post, "/users/me");
  ASSERT_EQ(m.result, route_match::kind::found);
  EXPECT_EQ(m.route, by_id);
  EXPECT_EQ(m.param("id"), "me");
  // HEAD is served by the GET route; PUT gets a 405 naming both.
  EXPECT_EQ(r.match(method::head, "/users/me").route, me);
  auto put = r.match(method::put, "/users/me");
  EXPECT_EQ(put.result, route_match::kind::method_not_allowed);
  EXPECT_EQ(r.match(method::get, "/users/me/").route, me);  // lenient trailing slash
}

TEST(Router, ManyFrozenStaticRoutesAllMatch) {
  router r;
  for (int i = 0; i < 500; ++i) r.add(get, "/s" + std::to_string(i) + "/x");
  r.freeze();
  for (int i = 0; i < 500; ++i) {
    auto m = r.match(method::get, "/s" + std::to_string(i) + "/x");
    ASSERT_EQ(m.result, route_match::kind::found) << i;
    EXPECT_EQ(m.route, static_cast<std::size_t>(i));
  }
  EXPECT_EQ(r.match(method::get, "/s500/x").result, route_match::kind::not_found);
}
