-- perf/pktgen/framed.lua: framed UDP telemetry for sluiced (frames of the framed
-- format v1, docs/frame-format.md) from Pktgen-DPDK's pcap mode: Pktgen replays
-- a capture that perf/pktgen/make-captures.sh made with sluice-gen, the
-- generator perf/run uses, so the frames, keys, records per frame, checksums
-- and flows are exactly perf/run's "framed" case (perf/pktgen/README.md).
--
-- Pktgen loads the capture at start-up, one per port:
--   pktgen -l 0-4 -n 4 -a 0000:81:00.0 -- -P -m "[1-2:3-4].0" \
--       -s 0:captures/framed-64.pcap -f perf/pktgen/framed.lua
--
-- Settings (environment; defaults in brackets):
--   SLUICE_PORTS       pktgen port list                                  [0]
--   SLUICE_RPF         records per frame of the capture (make-captures.sh
--                      prints it; framed-64.pcap: 17)                    [required]
--   SLUICE_SIZE        record data size of the capture, for the printout  [64]
--   SLUICE_RATES       percent of line rate, comma-separated             [100]
--   SLUICE_SECONDS     seconds per step                                  [10]
--   SLUICE_STATS_CMD   shell command printing sluiced's counters          [none]
--
-- Pktgen sends the capture's packets in order, over and over, unchanged: the
-- destination MAC and address are the ones make-captures.sh was given.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;../?.lua"
require "Pktgen"

local function env(name, default)
	local v = os.getenv(name)
	if v == nil or v == "" then
		return default
	end
	return v
end

local function list(s)
	local t = {}
	for x in string.gmatch(s, "[^,%s]+") do
		t[#t + 1] = tonumber(x)
	end
	return t
end

local ports     = env("SLUICE_PORTS", "0")
local rpf       = tonumber(env("SLUICE_RPF", "0"))
local size      = tonumber(env("SLUICE_SIZE", "64"))
local rates     = list(env("SLUICE_RATES", "100"))
local seconds   = tonumber(env("SLUICE_SECONDS", "10"))
local stats_cmd = env("SLUICE_STATS_CMD", nil)

if rpf == nil or rpf < 1 then
	error("set SLUICE_RPF to the records per frame of the capture (make-captures.sh prints it)")
end

local function port_totals()
	local pk, by = 0, 0
	for p in string.gmatch(ports, "%d+") do
		local st = pktgen.portStats(p, "port")[tonumber(p)]
		pk = pk + st.opackets
		by = by + st.obytes
	end
	return pk, by
end

local function show_sluiced(tag)
	if stats_cmd == nil then
		return
	end
	print("sluice-pktgen: " .. tag .. ": " .. stats_cmd)
	local f = io.popen(stats_cmd)
	if f ~= nil then
		print(f:read("a"))
		f:close()
	end
end

pktgen.set_range(ports, "off")
pktgen.pcap(ports, "on")
pktgen.set(ports, "count", 0)
print(string.format("sluice-pktgen: framed capture, %d records of %d B per frame; %d s per step",
	rpf, size, seconds))
show_sluiced("before")
for _, rate in ipairs(rates) do
	pktgen.set(ports, "rate", rate)
	pktgen.clr()
	local p0, b0 = port_totals()
	pktgen.start(ports)
	pktgen.delay(seconds * 1000)
	pktgen.stop(ports)
	pktgen.delay(1000)
	local p1, b1 = port_totals()
	local n, bytes = p1 - p0, b1 - b0
	print(string.format("sluice-pktgen: framed %d B x %d rate %d%%: sent %d frames = %d records " ..
		"in %d s: %.3f Mpps, %.3f M records/s, %.2f Gbit/s on the wire", size, rpf, rate, n,
		n * rpf, seconds, n / seconds / 1e6, n * rpf / seconds / 1e6,
		(bytes + n * 24) * 8 / seconds / 1e9))
	show_sluiced(string.format("after framed at %d%%", rate))
end
pktgen.pcap(ports, "off")
