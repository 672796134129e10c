-- words.lua - the search words of search.lua and api.lua: English, Russian
-- and Ukrainian, in forms other than the texts' (the stemmers' work), and
-- pairs of them.
local words = {
  "prisoners", "accused", "trolleybus", "hospital", "library", "river",
  "ventilators", "demolition", "market", "night trains", "political prisoners",
  "заключённые", "троллейбусов", "больницы", "библиотека", "реку", "рынка",
  "ночной поезд", "политических заключённых",
  "в'язні", "тролейбусів", "лікарня", "бібліотеки", "річка", "ринок",
  "нічні потяги", "політичних в’язнів",
}

local function encode(s)
  return (s:gsub("[^%w%-_.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function random_query()
  return encode(words[math.random(#words)])
end
