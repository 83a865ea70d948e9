#!/bin/sh
# Replays each fuzz target's committed corpus through its plain-main()
# build (fuzz/replay_<name>), printing TAP. A crash or sanitizer report fails.
srcdir=${abs_top_srcdir:-$(dirname "$0")/..}
builddir=${abs_top_builddir:-.}
n=0 failed=0
for name in conf wlfile knockreq clientip urlpath ipmap_image; do
	n=$((n + 1))
	out=$("$builddir/fuzz/replay_$name" "$srcdir/fuzz/corpus/$name" 2>&1)
	if [ $? -eq 0 ]; then
		echo "ok $n - $name: $(echo "$out" | tail -n 1)"
	else
		echo "not ok $n - $name corpus replay"
		echo "$out" | tail -n 30 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
