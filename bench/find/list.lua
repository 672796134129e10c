-- list.lua - wrk: /petitions in every order, with and without a state and a
-- language, on pages 1 to 50 (20 a page).
local sorts = { "trending", "signatures", "newest", "victory", "waiting" }
local states = { "", "&state=open", "&state=closed" }
local langs = { "", "&lang=en", "&lang=ru", "&lang=uk" }

request = function()
  local path = "/petitions?sort=" .. sorts[math.random(#sorts)] ..
    states[math.random(#states)] .. langs[math.random(#langs)] ..
    "&page=" .. math.random(1, 50)
  return wrk.format("GET", path)
end
