-- wrk script of bench/search.sh: every connection walks the same fixed list of search
-- requests (one path per line in the file named by SEARCH_REQUESTS) in order, starting at a
-- different offset per thread, so every run sends the same mix in the same proportions.
local paths = {}
for line in io.lines(os.getenv("SEARCH_REQUESTS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
if #paths == 0 then error("no requests in " .. tostring(os.getenv("SEARCH_REQUESTS"))) end

local thread_count = 0
function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
end

local i = 0
function init(args)
  i = (offset or 0) * 7
end

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
