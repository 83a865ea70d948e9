# Prints a whitelist file (the JSON storage format) of exactly n distinct
# canonical entries:  awk -v n=N -v now=UNIXTIME -f gen_whitelist.awk
#
#   45 %  IPv4 addresses in 10.0.0.0/8
#   20 %  IPv4 CIDRs in 172.16.0.0/12, prefixes /20 /22 /24 /25 /26 /27 /28 /29 /30
#    5 %  IPv4 CIDRs in 192.168.0.0/16, prefixes /24 /28
#   20 %  IPv6 addresses in 2001:db8::/32
#   10 %  IPv6 CIDRs in 2001:db8::/32, prefixes /48 /56 /64
#
# so a lookup has 14 distinct prefix lengths to try (10 IPv4, 4 IPv6; 7 at
# n = 10). The client's entry, "127.0.0.1", is entry number int(n/2) (never
# the first). The first five entries are one of each category. Expiries are
# spread over one to two days from now. Fixed seed: the same n gives the
# same file.
function v4(x) {	# 32-bit number -> dotted quad
	return sprintf("%d.%d.%d.%d", int(x / 16777216) % 256, int(x / 65536) % 256,
	    int(x / 256) % 256, x % 256)
}
function r(k) {		# uniform integer in [0, k)
	return int(rand() * k)
}
function g() {		# a non-zero 16-bit group: no "::" compression needed
	return sprintf("%x", 1 + r(65535))
}
function cidr4(base, size, prefix,   span) {	# random prefix-aligned net in [base, base+size)
	span = 2 ^ (32 - prefix)
	return v4(base + r(size / span) * span) "/" prefix
}
function candidate(kind,   t, p, first) {	# kind 0..4 forces a category
	split("0 45 65 70 90", first, " ")
	t = kind >= 0 ? first[kind + 1] + 0 : r(100)
	if (t < 45)
		return v4(167772160 + r(16777216))			# 10.0.0.0/8
	if (t < 65) {
		split("20 22 24 25 26 27 28 29 30", p, " ")
		return cidr4(2886729728, 1048576, p[1 + r(9)])		# 172.16.0.0/12
	}
	if (t < 70)
		return cidr4(3232235520, 65536, r(2) ? 24 : 28)		# 192.168.0.0/16
	if (t < 90)
		return "2001:db8:" g() ":" g() ":" g() ":" g() ":" g() ":" g()
	t = r(3)
	if (t == 0)
		return "2001:db8:" g() "::/48"
	if (t == 1)		# /56: the low 8 bits of the 4th group are host bits
		return "2001:db8:" g() ":" sprintf("%x", (1 + r(255)) * 256) "::/56"
	return "2001:db8:" g() ":" g() "::/64"
}
BEGIN {
	srand(6)
	printf "{"
	for (i = 0; i < n; ) {
		if (i == int(n / 2) && !("127.0.0.1" in seen))
			e = "127.0.0.1"
		else
			e = candidate(i < 5 ? i : -1)	# every category, even for small n
		if (e in seen)
			continue
		seen[e] = 1
		printf "%s\"%s\":%.0f", (i > 0 ? "," : ""), e, now + 86400 + r(86400)
		i++
	}
	printf "}\n"
}
