#!/bin/sh
# Replays each fuzz target's committed corpus (fuzz/corpus/<name>/, which
# also holds the reproducers of fixed crashes) through its plain-main()
# build fuzz/replay_<name>, printing TAP. A crash, an abort() of a broken
# invariant or a sanitizer report fails that target.
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${abs_top_builddir:-.}
names="conf wlfile knockreq clientip urlpath ipmap_image wlmeta adminreq"
n=0 failed=0
set -- $names
echo "1..$#"
for name in $names; do
	n=$((n + 1))
	prog="$builddir/fuzz/replay_$name"
	corpus="$srcdir/fuzz/corpus/$name"
	if [ ! -x "$prog" ] || [ ! -d "$corpus" ]; then
		echo "not ok $n - $name: missing $prog or $corpus"
		failed=$((failed + 1))
		continue
	fi
	out=$("$prog" "$corpus" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $n - $name: $(echo "$out" | tail -n 1)"
	else
		echo "not ok $n - $name: replay exited $rc"
		echo "$out" | tail -n 40 | sed 's/^/# /'
		# name the inputs that fail on their own
		for f in "$corpus"/*; do
			"$prog" "$f" >/dev/null 2>&1 || echo "# failing input: $f"
		done
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
