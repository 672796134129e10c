-- search.lua - wrk: /search?q= with a word or two in en, ru or uk, pages 1
-- to 3 (20 a page).
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "words.lua")

request = function()
  return wrk.format("GET", "/search?q=" .. random_query() .. "&page=" ..
    math.random(1, 3))
end
