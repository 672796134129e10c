-- spike.lua - wrk script: replays requests prepared by bench/spikeprep.c.

-- HOLOS_REQS names a file of lines PATH TAB X-FORWARDED-FOR TAB BODY, each
-- a POST as a browser sends it (its own form token and proof of work, a
-- unique email, its own address). Thread t of HOLOS_THREADS (default 2)
-- sends lines t+1, t+1+HOLOS_THREADS, ...; none is sent twice: a thread
-- that runs out sends a GET of /healthz instead and counts it as
-- "exhausted", so a run that outpaces the file says so.

local file = os.getenv("HOLOS_REQS")
local nthreads = tonumber(os.getenv("HOLOS_THREADS") or "2")
local threads = {}
local ntid = 0

if file == nil or file == "" then
	io.stderr:write("spike.lua: set HOLOS_REQS to a request file\n")
	os.exit(2)
end

function setup(thread)
	thread:set("tid", ntid)
	ntid = ntid + 1
	table.insert(threads, thread)
end

function init(args)
	reqs = {}
	statuses = {}
	exhausted = 0
	local n = 0
	for line in io.lines(file) do
		if n % nthreads == tid then
			local path, xff, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
			reqs[#reqs + 1] = wrk.format("POST", path, {
			    ["Content-Type"] = "application/x-www-form-urlencoded",
			    ["X-Forwarded-For"] = xff }, body)
		end
		n = n + 1
	end
	next_req = 1
	spare = wrk.format("GET", "/healthz")
end

function request()
	local r = reqs[next_req]
	if r == nil then
		exhausted = exhausted + 1
		return spare
	end
	reqs[next_req] = nil
	next_req = next_req + 1
	return r
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	local ex = 0
	for _, t in ipairs(threads) do
		local s = t:get("statuses")
		for code, n in pairs(s) do
			total[code] = (total[code] or 0) + n
		end
		ex = ex + t:get("exhausted")
	end
	local line = "statuses:"
	for code, n in pairs(total) do
		line = line .. " " .. code .. "=" .. n
	end
	io.write(line .. "\nexhausted: " .. ex .. "\n")
end
