# SPDX-License-Identifier: MIT
"""Drives the demo web app with Python's http.client (blocking, one keep-alive connection).

Usage: webapp_http_client.py HOST PORT. Prints OK on success; an assertion names what failed.
"""
import http.client
import json
import sys

host, port = sys.argv[1], int(sys.argv[2])
conn = http.client.HTTPConnection(host, port, timeout=10)


def request(method, path, body=None, headers=None, **kw):
    conn.request(method, path, body=body, headers=headers or {}, **kw)
    r = conn.getresponse()
    return r, r.read()


# Several requests on one connection: http.client reuses the socket while the server keeps it.
r, body = request("GET", "/plaintext")
assert r.status == 200 and body == b"Hello, World!", (r.status, body)
assert r.getheader("Content-Type") == "text/plain; charset=utf-8", r.getheader("Content-Type")
assert r.getheader("Server") and r.getheader("Date"), r.getheaders()
sock = conn.sock
r, body = request("GET", "/json")
assert r.status == 200 and json.loads(body) == {"message": "Hello, World!"}, body
assert r.getheader("Content-Type") == "application/json"
assert conn.sock is sock, "keep-alive connection was not reused"

r, body = request("HEAD", "/plaintext")
assert r.status == 200 and body == b"" and r.getheader("Content-Length") == "13", r.getheaders()

r, body = request("POST", "/echo", body=b"ping \x00\xff", headers={"Content-Type": "application/x-raw"})
assert r.status == 200 and body == b"ping \x00\xff", body
assert r.getheader("Content-Type") == "application/x-raw", r.getheader("Content-Type")

# A chunked request body produced by a generator.
parts = [b"alpha-", b"beta-" * 1000, b"gamma"]
r, body = request("POST", "/echo", body=iter(parts), headers={"Content-Type": "text/plain"}, encode_chunked=True)
assert r.status == 200 and body == b"".join(parts), len(body)

r, body = request("GET", "/users/42")
assert r.status == 200 and json.loads(body) == {"id": 42, "name": "user 42"}, body
r, body = request("GET", "/users/abc")
assert r.status == 404, r.status

r, body = request("GET", "/stream")
assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked", r.getheaders()
assert body == b"".join(b"line %d\n" % i for i in range(1, 11)), body

r, body = request("GET", "/static/hello.txt", headers={"Range": "bytes=7-"})
assert r.status == 206 and body == b"hello\n", (r.status, body)
assert r.getheader("Content-Range") == "bytes 7-12/13", r.getheader("Content-Range")
etag = r.getheader("ETag")
r, body = request("GET", "/static/hello.txt", headers={"If-None-Match": etag})
assert r.status == 304 and body == b"", r.status

r, body = request("POST", "/api/items", body=json.dumps({"name": "pen", "price": 1.5}),
                  headers={"Content-Type": "application/json"})
assert r.status == 201, (r.status, body)
item = json.loads(body)
assert item["name"] == "pen" and item["price"] == 1.5, item
location = r.getheader("Location")
assert location == "/api/items/%d" % item["id"], location
r, body = request("GET", location)
assert r.status == 200 and json.loads(body) == item, body
r, body = request("POST", "/api/items", body=json.dumps({"name": "pen"}), headers={"Content-Type": "application/json"})
assert r.status == 422 and b"price" in body, (r.status, body)
r, body = request("POST", "/api/items", body=b"{not json", headers={"Content-Type": "application/json"})
assert r.status == 400, (r.status, body)
r, body = request("GET", "/api/items/999999")
assert r.status == 404, r.status
r, body = request("DELETE", "/plaintext")
assert r.status == 405 and "GET" in (r.getheader("Allow") or ""), (r.status, r.getheaders())

r, body = request("GET", "/")
assert r.status == 302 and r.getheader("Location") == "/static/index.html", (r.status, r.getheaders())

assert conn.sock is sock, "keep-alive connection was dropped along the way"
conn.close()
print("OK")
