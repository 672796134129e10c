-- log_proof.lua - wrk script: proofs from a petition's log (bench/log.sh).

-- LOG_MODE=proof: get-proof-by-hash for a leaf picked at random from the
-- URL-escaped base64 hashes in the file LOG_SAMPLE (build/bench/log_fill
-- writes it), in the tree of LOG_SIZE leaves. LOG_MODE=consistency:
-- get-sth-consistency from a size picked at random in 1..LOG_SIZE - 1 to
-- LOG_SIZE. Set HOLOS_SLUG for another petition. Answers other than 200
-- are counted and printed at the end.

local mode = os.getenv("LOG_MODE") or "proof"
local size = tonumber(os.getenv("LOG_SIZE") or "")
local sample = os.getenv("LOG_SAMPLE")
local slug = os.getenv("HOLOS_SLUG") or "kremlin-prisoners-covid19"
local threads = {}

if size == nil or size < 2 then
	io.stderr:write("log_proof.lua: set LOG_SIZE to the log's size\n")
	os.exit(2)
end

function setup(thread)
	table.insert(threads, thread)
	thread:set("seed", #threads)
end

function init(args)
	math.randomseed(os.time() * 7 + seed)
	bad = 0
	statuses = {}
	hashes = {}
	if mode == "proof" then
		local f = io.open(sample or "", "r")
		if f == nil then
			io.stderr:write("log_proof.lua: set LOG_SAMPLE to " ..
			    "log_fill's sample file\n")
			os.exit(2)
		end
		for line in f:lines() do
			table.insert(hashes, line)
		end
		f:close()
	end
	base = "/p/" .. slug .. "/log/"
end

function request()
	if mode == "proof" then
		return wrk.format("GET", base .. "get-proof-by-hash?hash=" ..
		    hashes[math.random(#hashes)] .. "&tree_size=" ..
		    string.format("%d", size))
	end
	return wrk.format("GET", base .. "get-sth-consistency?first=" ..
	    string.format("%d", math.random(size - 1)) .. "&second=" ..
	    string.format("%d", size))
end

function response(status, headers, body)
	if status ~= 200 then
		bad = bad + 1
		statuses[status] = (statuses[status] or 0) + 1
	end
end

function done(summary, latency, requests)
	local n, by = 0, {}
	for _, t in ipairs(threads) do
		n = n + t:get("bad")
		for code, k in pairs(t:get("statuses")) do
			by[code] = (by[code] or 0) + k
		end
	end
	local line = "not 200: " .. n
	for code, k in pairs(by) do
		line = line .. " " .. code .. "=" .. k
	end
	io.write(line .. "\n")
end
