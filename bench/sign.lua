-- sign.lua - wrk script: POSTs the sign form with a unique email each time.

-- The form token comes from HOLOS_CSRF (run.sh fetches it with curl); it is
-- valid 12 h and bound to no cookie, so every request reuses it. Emails are
-- unique per run (HOLOS_RUN), thread and counter, so every POST is a new
-- signature. Set HOLOS_SLUG for another petition.

local token = os.getenv("HOLOS_CSRF")
local run = os.getenv("HOLOS_RUN") or tostring(os.time())
local slug = os.getenv("HOLOS_SLUG") or "kremlin-prisoners-covid19"
local threads = {}
local nthreads = 0

if token == nil or token == "" then
	io.stderr:write("sign.lua: set HOLOS_CSRF to a form token from the " ..
	    "page\n")
	os.exit(2)
end

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	counter = 0
	statuses = {}
	path = "/p/" .. slug .. "/sign"
	headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
	prefix = "first_name=Benchmark&last_name=Signatory-Loadtest" ..
	    "&country=UA&csrf=" .. token .. "&email=wrk-" .. run .. "-" ..
	    tid .. "-"
end

function request()
	counter = counter + 1
	return wrk.format("POST", path, headers,
	    prefix .. counter .. "%40example.org")
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		local s = t:get("statuses")
		for code, n in pairs(s) do
			total[code] = (total[code] or 0) + n
		end
	end
	local line = "statuses:"
	for code, n in pairs(total) do
		line = line .. " " .. code .. "=" .. n
	end
	io.write(line .. "\n")
end
