# make bench: the on-demand benchmark (not part of make check); see
# docs/BENCHMARKS.md. BENCH_ARGS=--quick for a short smoke run; DURATION,
# ROUNDS, CONNECTIONS, THREADS, WORKERS, KNOCKS, CALLGRIND_N, KEEP from the
# environment (bench/run --help).
EXTRA_PROGRAMS += bench/trivial_authz bench/fcgi_call
bench_trivial_authz_SOURCES = bench/trivial_authz.c
bench_trivial_authz_CFLAGS = $(AM_CFLAGS) $(FCGI_CFLAGS)
bench_trivial_authz_LDADD = $(FCGI_LIBS)
bench_fcgi_call_SOURCES = bench/fcgi_call.c
CLEANFILES += bench/trivial_authz bench/fcgi_call
EXTRA_DIST += bench/run bench/gen_whitelist.awk

# bench/run is a bash script with its own #! line: run it directly, not
# with $(SHELL), which may be a plain POSIX sh.
bench: knocker$(EXEEXT) bench/trivial_authz$(EXEEXT) bench/fcgi_call$(EXEEXT)
	@KNOCKER='$(abs_top_builddir)/knocker$(EXEEXT)' \
	TRIVIAL='$(abs_top_builddir)/bench/trivial_authz$(EXEEXT)' \
	FCGI_CALL='$(abs_top_builddir)/bench/fcgi_call$(EXEEXT)' \
	    '$(abs_top_srcdir)/bench/run' $(BENCH_ARGS)

.PHONY: bench
