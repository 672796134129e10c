-- api.lua - wrk: /api/v1/petitions, listed in every order on pages 1 to 40
-- (50 a page), and one request in four a search.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "words.lua")
local sorts = { "trending", "signatures", "newest", "victory", "waiting" }

request = function()
  if math.random(4) == 1 then
    return wrk.format("GET", "/api/v1/petitions?q=" .. random_query())
  end
  return wrk.format("GET", "/api/v1/petitions?sort=" ..
    sorts[math.random(#sorts)] .. "&page=" .. math.random(1, 40))
end
