-- perf/pktgen/raw.lua: raw UDP telemetry for sluiced (one record per datagram,
-- its key the sender's ip:port) from Pktgen-DPDK's range mode, the traffic
-- shape of perf/run's "raw" cases, over a real NIC (perf/pktgen/README.md).
--
-- Each step sends one record size at one rate for SLUICE_SECONDS, stops, waits
-- a second for the receiver to drain, and prints what the port sent. Between
-- steps it runs SLUICE_STATS_CMD, if set, so sluiced's counters land next to
-- the generator's.
--
--   pktgen -l 0-4 -n 4 -a 0000:81:00.0 -- -P -m "[1-2:3-4].0" -f perf/pktgen/raw.lua
--   (or, at the Pktgen prompt: load perf/pktgen/raw.lua)
--
-- Settings (environment; defaults in brackets):
--   SLUICE_PORTS       pktgen port list                                  [0]
--   SLUICE_DST_MAC     MAC of sluiced's port ("sluice stats" shows it)   [required]
--   SLUICE_DST_IP      sluiced's --ip address                            [10.0.0.1]
--   SLUICE_DST_PORT    its raw --udp-port                                [7000]
--   SLUICE_SRC_IP      first source address                              [10.1.0.1]
--   SLUICE_SRC_IPS     number of source addresses                        [16]
--   SLUICE_SRC_PORT    first source port                                 [1024]
--   SLUICE_SRC_PORTS   number of source ports                            [1001]
--   SLUICE_SIZES       record data sizes in bytes, comma-separated       [64,512,1024]
--   SLUICE_RATES       percent of line rate, comma-separated             [100]
--   SLUICE_SECONDS     seconds per step                                  [10]
--   SLUICE_STATS_CMD   shell command printing sluiced's counters, e.g.
--                      "ssh appliance sluice stats --file-prefix sl --json"  [none]
--
-- Flows: range mode steps the source address and the source port by one per
-- packet, each wrapping at its own maximum, so a flow (ip:port, one raw key
-- for sluiced, one RSS hash for the NIC) recurs every lcm(SRC_IPS, SRC_PORTS)
-- packets: 16 x 1001 (coprime) = 16016 flows, like perf/run's 4096 and more.
-- Pktgen builds its range packets ahead, so it sends at most as many distinct
-- flows as it has range mbufs per queue; both limits are printed.
--
-- The record is the UDP payload: Pktgen's frame size (without CRC) is the
-- record size + 42 (14 Ethernet + 20 IPv4 + 8 UDP). Its payload is Pktgen's
-- fill pattern: sluiced stores it as the record's data.

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

local function ip_to_int(s)
	local a, b, c, d = string.match(s, "^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	if a == nil then
		error("not an IPv4 address: " .. s)
	end
	return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

local function int_to_ip(n)
	local o = {}
	for i = 4, 1, -1 do
		o[i] = math.floor(n % 256)
		n = math.floor(n / 256)
	end
	return string.format("%d.%d.%d.%d", o[1], o[2], o[3], o[4])
end

local function gcd(a, b)
	while b ~= 0 do
		a, b = b, a % b
	end
	return a
end

local ports     = env("SLUICE_PORTS", "0")
local dst_mac   = env("SLUICE_DST_MAC", nil)
local dst_ip    = env("SLUICE_DST_IP", "10.0.0.1")
local dst_port  = tonumber(env("SLUICE_DST_PORT", "7000"))
local src_ip    = env("SLUICE_SRC_IP", "10.1.0.1")
local src_ips   = tonumber(env("SLUICE_SRC_IPS", "16"))
local src_port  = tonumber(env("SLUICE_SRC_PORT", "1024"))
local src_ports = tonumber(env("SLUICE_SRC_PORTS", "1001"))
local sizes     = list(env("SLUICE_SIZES", "64,512,1024"))
local rates     = list(env("SLUICE_RATES", "100"))
local seconds   = tonumber(env("SLUICE_SECONDS", "10"))
local stats_cmd = env("SLUICE_STATS_CMD", nil)

if dst_mac == nil then
	error("set SLUICE_DST_MAC to the MAC of sluiced's port (sluice stats shows it)")
end
local src_last = int_to_ip(ip_to_int(src_ip) + src_ips - 1)
local flows = src_ips * src_ports / gcd(src_ips, src_ports)

local function setup(size)
	local pkt = size + 42

	pktgen.set_type(ports, "ipv4")
	pktgen.set_proto(ports, "udp")
	pktgen.set_mac(ports, "dst", dst_mac)
	pktgen.set_ipaddr(ports, "dst", dst_ip)
	pktgen.set_ipaddr(ports, "src", src_ip .. "/8")
	pktgen.set(ports, "sport", src_port)
	pktgen.set(ports, "dport", dst_port)
	-- range mode also needs the single-packet size (MACHINE-NOTES)
	pktgen.set(ports, "size", pkt)

	pktgen.range.ip_proto(ports, "udp")
	pktgen.range.dst_mac(ports, "start", dst_mac)
	pktgen.range.dst_ip(ports, "start", dst_ip)
	pktgen.range.dst_ip(ports, "inc", "0.0.0.0")
	pktgen.range.dst_ip(ports, "min", dst_ip)
	pktgen.range.dst_ip(ports, "max", dst_ip)
	pktgen.range.src_ip(ports, "start", src_ip)
	pktgen.range.src_ip(ports, "inc", "0.0.0.1")
	pktgen.range.src_ip(ports, "min", src_ip)
	pktgen.range.src_ip(ports, "max", src_last)
	pktgen.range.dst_port(ports, "start", dst_port)
	pktgen.range.dst_port(ports, "inc", 0)
	pktgen.range.dst_port(ports, "min", dst_port)
	pktgen.range.dst_port(ports, "max", dst_port)
	pktgen.range.src_port(ports, "start", src_port)
	pktgen.range.src_port(ports, "inc", 1)
	pktgen.range.src_port(ports, "min", src_port)
	pktgen.range.src_port(ports, "max", src_port + src_ports - 1)
	pktgen.range.pkt_size(ports, "start", pkt)
	pktgen.range.pkt_size(ports, "inc", 0)
	pktgen.range.pkt_size(ports, "min", pkt)
	pktgen.range.pkt_size(ports, "max", pkt)
	if pktgen.range.ttl ~= nil then
		pktgen.range.ttl(ports, "start", 64)
		pktgen.range.ttl(ports, "inc", 0)
		pktgen.range.ttl(ports, "min", 64)
		pktgen.range.ttl(ports, "max", 64)
	end
	pktgen.set_range(ports, "on")
	pktgen.set(ports, "count", 0)    -- until stopped
end

-- opackets summed over the port list (portStats returns a table per port)
local function sent()
	local total = 0
	for p in string.gmatch(ports, "%d+") do
		local st = pktgen.portStats(p, "port")[tonumber(p)]
		total = total + st.opackets
	end
	return total
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

print(string.format("sluice-pktgen: raw to %s:%d (MAC %s) from %s..%s ports %d..%d: %d flows; " ..
	"%d s per step", dst_ip, dst_port, dst_mac, src_ip, src_last, src_port,
	src_port + src_ports - 1, math.floor(flows), seconds))
show_sluiced("before")
for _, size in ipairs(sizes) do
	setup(size)
	for _, rate in ipairs(rates) do
		pktgen.set(ports, "rate", rate)
		pktgen.clr()
		local before = sent()
		pktgen.start(ports)
		pktgen.delay(seconds * 1000)
		pktgen.stop(ports)
		pktgen.delay(1000)    -- the receiver drains its queues
		local n = sent() - before
		-- on the wire: frame + 4 B CRC + 8 B preamble + 12 B gap
		print(string.format("sluice-pktgen: raw size %d B (frame %d B) rate %d%%: sent %d packets " ..
			"= %d records in %d s: %.3f Mpps, %.2f Gbit/s on the wire", size, size + 42, rate, n,
			n, seconds, n / seconds / 1e6, n * (size + 42 + 24) * 8 / seconds / 1e9))
		show_sluiced(string.format("after raw %d B at %d%%", size, rate))
	end
end
pktgen.set_range(ports, "off")
