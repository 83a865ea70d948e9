# Prints a whitelist file of N distinct entries (awk -v n=N -v now=T): a
# mix of single IPv4/IPv6 addresses and CIDRs of several prefix lengths,
# with 127.0.0.1 in the middle (not first). All expire in a day.
BEGIN {
	expiry = now + 86400
	printf "{"
	for (i = 0; i < n; i++) {
		if (i > 0) printf ","
		if (i == int(n / 2)) { printf "\"127.0.0.1\":%d", expiry; continue }
		k = i % 10; m = int(i / 10)
		if (k < 6)      printf "\"10.%d.%d.%d\":%d", int(i / 65536) % 256, int(i / 256) % 256, i % 256, expiry
		else if (k == 6) printf "\"11.%d.%d.0/24\":%d", int(m / 256) % 256, m % 256, expiry
		else if (k == 7) printf "\"100.%d.%d.%d/30\":%d", 64 + int(m / 16384) % 64, int(m / 64) % 256, (m % 64) * 4, expiry
		else if (k == 8) printf "\"2001:db8:%x:%x::1\":%d", int(m / 65536), m % 65536, expiry
		else            printf "\"2001:db9:%x:%x::/64\":%d", int(m / 65536), m % 65536, expiry
	}
	printf "}\n"
}
