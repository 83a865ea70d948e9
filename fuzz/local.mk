# Fuzzing. Included by the top-level Makefile.am.
#
# make check: each fuzz target is also linked with a plain main()
# (fuzz/replay.c) and fuzz/replay.sh replays the committed corpora
# (fuzz/corpus/<name>/) through it, with any compiler, under the sanitizers
# when configured with --enable-sanitizers.
#
# make fuzz (configure CC=clang --enable-fuzzing): builds the libFuzzer
# binaries fuzz/fuzz_<name> and runs each for FUZZ_SECONDS. New inputs go to
# fuzz/work/<name> in the build tree; the committed corpus is only read.
# To grow the committed corpus, merge (keeps only inputs adding coverage):
#   fuzz/fuzz_<name> -merge=1 $(srcdir)/fuzz/corpus/<name> fuzz/work/<name>
FUZZ_NAMES = conf wlfile knockreq clientip urlpath ipmap_image wlmeta adminreq

check_PROGRAMS += fuzz/replay_conf fuzz/replay_wlfile fuzz/replay_knockreq \
	fuzz/replay_clientip fuzz/replay_urlpath fuzz/replay_ipmap_image \
	fuzz/replay_wlmeta fuzz/replay_adminreq
fuzz_replay_conf_SOURCES = fuzz/replay.c fuzz/fuzz_conf.c
fuzz_replay_conf_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_replay_conf_LDADD = $(CORE_LIBS)
fuzz_replay_wlfile_SOURCES = fuzz/replay.c fuzz/fuzz_wlfile.c
fuzz_replay_wlfile_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_replay_wlfile_LDADD = $(CORE_LIBS)
fuzz_replay_knockreq_SOURCES = fuzz/replay.c fuzz/fuzz_knockreq.c
fuzz_replay_knockreq_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_replay_knockreq_LDADD = $(CORE_LIBS)
fuzz_replay_clientip_SOURCES = fuzz/replay.c fuzz/fuzz_clientip.c
fuzz_replay_clientip_LDADD = $(CORE_LIBS)
fuzz_replay_urlpath_SOURCES = fuzz/replay.c fuzz/fuzz_urlpath.c
fuzz_replay_urlpath_LDADD = $(CORE_LIBS)
fuzz_replay_ipmap_image_SOURCES = fuzz/replay.c fuzz/fuzz_ipmap_image.c
fuzz_replay_ipmap_image_LDADD = $(CORE_LIBS)
fuzz_replay_wlmeta_SOURCES = fuzz/replay.c fuzz/fuzz_wlmeta.c
fuzz_replay_wlmeta_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_replay_wlmeta_LDADD = $(CORE_LIBS)
fuzz_replay_adminreq_SOURCES = fuzz/replay.c fuzz/fuzz_adminreq.c
fuzz_replay_adminreq_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_replay_adminreq_LDADD = $(CORE_LIBS)

TESTS += fuzz/replay.sh
EXTRA_DIST += fuzz/replay.sh fuzz/corpus \
	fuzz/conf.dict fuzz/wlfile.dict fuzz/knockreq.dict fuzz/clientip.dict fuzz/urlpath.dict \
	fuzz/ipmap_image.dict fuzz/wlmeta.dict fuzz/adminreq.dict

# -max_len per target: a config file may be large, a knock body is capped at
# 4096 bytes by the app, addresses and X-Forwarded-For chains are short.
FUZZ_SECONDS = 60
FUZZ_MAXLEN_conf = 65536
FUZZ_MAXLEN_wlfile = 65536
FUZZ_MAXLEN_knockreq = 4096
FUZZ_MAXLEN_clientip = 2048
FUZZ_MAXLEN_urlpath = 8192
FUZZ_MAXLEN_ipmap_image = 4096
FUZZ_MAXLEN_wlmeta = 65536
FUZZ_MAXLEN_adminreq = 4096
FUZZ_FLAGS = -print_final_stats=1

if FUZZING
FUZZ_PROGS = fuzz/fuzz_conf fuzz/fuzz_wlfile fuzz/fuzz_knockreq fuzz/fuzz_clientip \
	fuzz/fuzz_urlpath fuzz/fuzz_ipmap_image fuzz/fuzz_wlmeta fuzz/fuzz_adminreq
EXTRA_PROGRAMS += $(FUZZ_PROGS)
# AM_CFLAGS already holds -fsanitize=fuzzer-no-link,address,undefined
# (configure --enable-fuzzing); linking adds the libFuzzer main().
FUZZ_LINK_FLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_conf_SOURCES = fuzz/fuzz_conf.c
fuzz_fuzz_conf_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_fuzz_conf_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_conf_LDADD = $(CORE_LIBS)
fuzz_fuzz_wlfile_SOURCES = fuzz/fuzz_wlfile.c
fuzz_fuzz_wlfile_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_fuzz_wlfile_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_wlfile_LDADD = $(CORE_LIBS)
fuzz_fuzz_knockreq_SOURCES = fuzz/fuzz_knockreq.c
fuzz_fuzz_knockreq_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_fuzz_knockreq_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_knockreq_LDADD = $(CORE_LIBS)
fuzz_fuzz_clientip_SOURCES = fuzz/fuzz_clientip.c
fuzz_fuzz_clientip_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_clientip_LDADD = $(CORE_LIBS)
fuzz_fuzz_urlpath_SOURCES = fuzz/fuzz_urlpath.c
fuzz_fuzz_urlpath_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_urlpath_LDADD = $(CORE_LIBS)
fuzz_fuzz_ipmap_image_SOURCES = fuzz/fuzz_ipmap_image.c
fuzz_fuzz_ipmap_image_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_ipmap_image_LDADD = $(CORE_LIBS)
fuzz_fuzz_wlmeta_SOURCES = fuzz/fuzz_wlmeta.c
fuzz_fuzz_wlmeta_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_fuzz_wlmeta_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_wlmeta_LDADD = $(CORE_LIBS)
fuzz_fuzz_adminreq_SOURCES = fuzz/fuzz_adminreq.c
fuzz_fuzz_adminreq_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
fuzz_fuzz_adminreq_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_adminreq_LDADD = $(CORE_LIBS)
CLEANFILES += $(FUZZ_PROGS)

fuzz: $(FUZZ_PROGS)
	@for t in $(FUZZ_NAMES); do \
	  case $$t in \
	    conf) maxlen=$(FUZZ_MAXLEN_conf) ;; \
	    wlfile) maxlen=$(FUZZ_MAXLEN_wlfile) ;; \
	    knockreq) maxlen=$(FUZZ_MAXLEN_knockreq) ;; \
	    clientip) maxlen=$(FUZZ_MAXLEN_clientip) ;; \
	    ipmap_image) maxlen=$(FUZZ_MAXLEN_ipmap_image) ;; \
	    wlmeta) maxlen=$(FUZZ_MAXLEN_wlmeta) ;; \
	    adminreq) maxlen=$(FUZZ_MAXLEN_adminreq) ;; \
	    *) maxlen=$(FUZZ_MAXLEN_urlpath) ;; \
	  esac; \
	  $(MKDIR_P) fuzz/work/$$t || exit 1; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s (-max_len=$$maxlen)"; \
	  ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$maxlen \
	    -dict=$(srcdir)/fuzz/$$t.dict -artifact_prefix=fuzz/work/$$t- $(FUZZ_FLAGS) \
	    fuzz/work/$$t $(srcdir)/fuzz/corpus/$$t || exit 1; \
	done
else
fuzz:
	@echo "make fuzz: configure with CC=clang --enable-fuzzing first" >&2; exit 1
endif

clean-local: clean-fuzz-work
clean-fuzz-work:
	-rm -rf fuzz/work
.PHONY: clean-fuzz-work
