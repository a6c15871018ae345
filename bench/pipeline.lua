-- SPDX-License-Identifier: MIT
-- wrk script: sends the request for the URL's path 16 times per write (HTTP/1.1 pipelining).
-- Depth from the environment: PIPELINE_DEPTH (default 16).
init = function(args)
  local depth = tonumber(os.getenv("PIPELINE_DEPTH") or "16")
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil)
  end
  req = table.concat(r)
end

request = function()
  return req
end
