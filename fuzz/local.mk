# Fuzzing (issue 5). make check replays the committed corpora through a
# plain main() (fuzz/replay.c); with --enable-fuzzing (CC=clang) `make fuzz`
# builds libFuzzer binaries and runs each for FUZZ_SECONDS.
FUZZ_NAMES = conf wlfile knockreq clientip urlpath ipmap_image
REPLAY_PROGS = fuzz/replay_conf fuzz/replay_wlfile fuzz/replay_knockreq \
	fuzz/replay_clientip fuzz/replay_urlpath fuzz/replay_ipmap_image
check_PROGRAMS += $(REPLAY_PROGS)
fuzz_replay_conf_SOURCES = fuzz/replay.c fuzz/fuzz_conf.c
fuzz_replay_conf_LDADD = $(CORE_LIBS)
fuzz_replay_wlfile_SOURCES = fuzz/replay.c fuzz/fuzz_wlfile.c
fuzz_replay_wlfile_LDADD = $(CORE_LIBS)
fuzz_replay_knockreq_SOURCES = fuzz/replay.c fuzz/fuzz_knockreq.c
fuzz_replay_knockreq_LDADD = $(CORE_LIBS)
fuzz_replay_clientip_SOURCES = fuzz/replay.c fuzz/fuzz_clientip.c
fuzz_replay_clientip_LDADD = $(CORE_LIBS)
fuzz_replay_urlpath_SOURCES = fuzz/replay.c fuzz/fuzz_urlpath.c
fuzz_replay_urlpath_LDADD = $(CORE_LIBS)
fuzz_replay_ipmap_image_SOURCES = fuzz/replay.c fuzz/fuzz_ipmap_image.c
fuzz_replay_ipmap_image_LDADD = $(CORE_LIBS)
TESTS += fuzz/replay.sh
EXTRA_DIST += fuzz/replay.sh fuzz/corpus

if FUZZING
FUZZ_PROGS = fuzz/fuzz_conf fuzz/fuzz_wlfile fuzz/fuzz_knockreq fuzz/fuzz_clientip fuzz/fuzz_urlpath \
	fuzz/fuzz_ipmap_image
EXTRA_PROGRAMS += $(FUZZ_PROGS)
fuzz_fuzz_conf_SOURCES = fuzz/fuzz_conf.c
fuzz_fuzz_conf_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_conf_LDADD = $(CORE_LIBS)
fuzz_fuzz_wlfile_SOURCES = fuzz/fuzz_wlfile.c
fuzz_fuzz_wlfile_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_wlfile_LDADD = $(CORE_LIBS)
fuzz_fuzz_knockreq_SOURCES = fuzz/fuzz_knockreq.c
fuzz_fuzz_knockreq_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_knockreq_LDADD = $(CORE_LIBS)
fuzz_fuzz_clientip_SOURCES = fuzz/fuzz_clientip.c
fuzz_fuzz_clientip_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_clientip_LDADD = $(CORE_LIBS)
fuzz_fuzz_urlpath_SOURCES = fuzz/fuzz_urlpath.c
fuzz_fuzz_urlpath_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_urlpath_LDADD = $(CORE_LIBS)
fuzz_fuzz_ipmap_image_SOURCES = fuzz/fuzz_ipmap_image.c
fuzz_fuzz_ipmap_image_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ipmap_image_LDADD = $(CORE_LIBS)
CLEANFILES += $(FUZZ_PROGS)
FUZZ_SECONDS = 60

# New inputs go to fuzz/work/NAME; the committed corpus is read, not written.
fuzz: $(FUZZ_PROGS)
	@for t in $(FUZZ_NAMES); do \
	  mkdir -p fuzz/work/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    fuzz/work/$$t $(srcdir)/fuzz/corpus/$$t || exit 1; \
	done
else
fuzz:
	@echo "make fuzz: configure with CC=clang --enable-fuzzing first" >&2; exit 1
endif
