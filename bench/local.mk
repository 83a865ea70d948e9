# make bench: the on-demand benchmark (not part of make check); see docs/BENCHMARKS.md.
EXTRA_PROGRAMS += bench/trivial_authz
bench_trivial_authz_SOURCES = bench/trivial_authz.c
bench_trivial_authz_CFLAGS = -O2 $(FCGI_CFLAGS)
bench_trivial_authz_LDADD = $(FCGI_LIBS)
CLEANFILES += bench/trivial_authz
EXTRA_DIST += bench/run bench/gen_whitelist.awk

bench: knocker bench/trivial_authz
	KNOCKER=$(abs_top_builddir)/knocker TRIVIAL=$(abs_top_builddir)/bench/trivial_authz \
	    $(SHELL) $(srcdir)/bench/run $(BENCH_ARGS)
