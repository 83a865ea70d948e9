/*
 * knocker-firewall: keeps an nftables table in step with knocker's
 * whitelist, so the same knock that opens the web services opens the
 * ports of "firewall.ports" (SSH, WireGuard, ...). Runs in the foreground
 * as root or with CAP_NET_ADMIN only; the web-facing workers stay
 * unprivileged. docs/FIREWALL.md, knocker-firewall(8).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "enforce.h"
#include "errlist.h"
#include "log.h"
#include "nftctl.h"
#include "nftrules.h"
#include "redisconn.h"
#include "store.h"
#include "watch.h"

#define DEFAULT_CONFIG SYSCONFDIR "/knocker/knocker.json"
#define MOD "firewall"
#define CAP_NET_ADMIN_BIT 12
#define TICK_MS 500
/* With the Redis store: each tick may ask Redis for the generation (at most
   every STORE_REDIS_POLL_MS), so a change shows within about 0.4 s. */
#define TICK_REDIS_MS 200

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: knocker-firewall [-c FILE]      keep the nftables table in step (foreground)\n"
	    "       knocker-firewall -n [-c FILE]   print the ruleset it would load and exit\n"
	    "       knocker-firewall -V | -h        version | this help\n"
	    "The configuration is -c FILE, else $KNOCKER_CONFIG, else %s.\n",
	    DEFAULT_CONFIG);
}

/* 1 if the effective capabilities hold CAP_NET_ADMIN, 0 if not, -1 if
   /proc cannot tell (then libnftables' own error will). */
static int
have_net_admin(void)
{
	char line[256];
	unsigned long long caps;
	FILE *fp;
	int rc = -1;

	if ((fp = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			rc = (caps >> CAP_NET_ADMIN_BIT) & 1;
			break;
		}
	fclose(fp);
	return rc;
}

/* Reads net.ipv4.ip_local_reserved_ports ("40000,50000-50010") into a
   bitmap of 65536 bits. Returns 0, or -1 if it cannot be read. */
static int
read_reserved(uint8_t *bits)
{
	char buf[4096], *p, *end;
	unsigned long lo, hi, port;
	size_t n;
	FILE *fp;

	memset(bits, 0, 65536 / 8);
	if ((fp = fopen("/proc/sys/net/ipv4/ip_local_reserved_ports", "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	for (p = buf; *p >= '0' && *p <= '9'; p = end + (*end == ',')) {
		lo = hi = strtoul(p, &end, 10);
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (port = lo; port <= hi && port < 65536; port++)
			bits[port / 8] |= (uint8_t)(1 << (port % 8));
	}
	return 0;
}

/* Guarded ports the kernel may hand out as local ports of outgoing
   connections, whose answers would then be dropped (the check makes no
   exception for replies). Reserved ports are never handed out. */
static void
warn_ephemeral(const struct conf *conf)
{
	const struct conf_fw_port *p;
	uint8_t reserved[65536 / 8];
	char range[16];
	unsigned lo, hi, port;
	size_t i;
	FILE *fp;
	int n;

	if ((fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re")) == NULL)
		return;
	n = fscanf(fp, "%u %u", &lo, &hi);
	fclose(fp);
	if (n != 2 || read_reserved(reserved) != 0)
		return;
	for (i = 0; i < conf->firewall.nports; i++) {
		p = &conf->firewall.ports[i];
		for (port = p->lo; port <= p->hi; port++)
			if (port >= lo && port <= hi && !(reserved[port / 8] & (1 << (port % 8))))
				break;
		if (port > p->hi)
			continue;
		if (p->hi == p->lo)
			snprintf(range, sizeof(range), "%u", (unsigned)p->lo);
		else
			snprintf(range, sizeof(range), "%u-%u", (unsigned)p->lo, (unsigned)p->hi);
		log_warnx(MOD, "firewall.ports[%zu] (%s/%s) lies in the local ephemeral port range "
		    "%u-%u: an outgoing connection given such a local port would lose its "
		    "answers; reserve it: add %s to net.ipv4.ip_local_reserved_ports "
		    "(docs/FIREWALL.md)", i, range, p->proto == CONF_FW_TCP ? "tcp" : "udp",
		    lo, hi, range);
	}
}

static struct conf *
load_conf(const char *path)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *conf;
	size_t i;

	conf = conf_load(path, &errs, &warns);
	for (i = 0; i < warns.count; i++)
		fprintf(stderr, "knocker-firewall: warning: %s\n", warns.msg[i]);
	for (i = 0; i < errs.count; i++)
		fprintf(stderr, "knocker-firewall: %s\n", errs.msg[i]);
	if (conf != NULL && !conf->firewall.present) {
		fprintf(stderr, "knocker-firewall: %s: firewall: missing: add a \"firewall\" section "
		    "naming the ports to guard, e.g. \"firewall\": {\"ports\": [\"22/tcp\"]}\n", path);
		conf_free(conf);
		conf = NULL;
	}
	errlist_free(&errs);
	errlist_free(&warns);
	return conf;
}

/* The whitelist's source: with store.backend "redis" a store (and its
   connection) in *store and *conn, both the caller's to free; with the
   file NULL in both. Returns 0, or -1 (out of memory, said on stderr). */
static int
open_source(const struct conf *conf, struct store **store, struct redisconn **conn)
{
	*store = NULL;
	*conn = NULL;
	if (conf->store.backend != CONF_STORE_REDIS)
		return 0;
	if ((*store = store_new_conf(conf, conn)) == NULL) {
		fprintf(stderr, "knocker-firewall: out of memory\n");
		return -1;
	}
	return 0;
}

/* -n: the commands, on stdout. */
static int
print_ruleset(const struct conf *conf)
{
	struct nftbuf b = { NULL, 0, 0, false };
	struct ipmap *map = NULL;
	struct store *store;
	struct redisconn *conn;
	char err[512];
	int rc = 1;

	if (open_source(conf, &store, &conn) != 0 || (map = ipmap_new()) == NULL)
		goto done;
	if (enforce_read_whitelist(conf, store, map, err, sizeof(err)) != 0) {
		fprintf(stderr, "knocker-firewall: %s\n", err);
		goto done;
	}
	if (enforce_table_text(conf, map, &b) != 0) {
		fprintf(stderr, "knocker-firewall: out of memory\n");
		goto done;
	}
	if (fputs(b.s, stdout) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "knocker-firewall: cannot write the ruleset: %s\n", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	ipmap_free(map);
	nftbuf_free(&b);
	store_free(store);
	redisconn_free(conn);
	return rc;
}

/* Waits up to one tick for a change: the watch's event (file) or the
   store's next poll. Returns 0, or -1 on a fatal error (logged). */
static int
wait_tick(struct watch *w, struct enforce *e)
{
	struct pollfd pfd;
	int r;

	if (w == NULL) {
		if (poll(NULL, 0, TICK_REDIS_MS) == -1 && errno != EINTR) {
			log_warn(MOD, "poll");
			return -1;
		}
		if (!stop_requested)
			(void)enforce_poll(e);	/* logged */
		return 0;
	}
	pfd.fd = watch_fd(w);
	pfd.events = POLLIN;
	r = poll(&pfd, 1, TICK_MS);
	if (r == -1 && errno != EINTR) {
		log_warn(MOD, "poll");
		return -1;
	}
	if (stop_requested)
		return 0;
	if (r == 1) {
		if ((r = watch_read(w)) == -1) {
			log_warn(MOD, "reading inotify events");
			return -1;
		}
		if (r == 1)
			(void)enforce_whitelist(e);	/* logged */
	}
	if (watch_rearm(w) == 1)
		(void)enforce_whitelist(e);
	return 0;
}

static int
serve(const struct conf *conf)
{
	struct enforce e;
	struct nftctl *nft = NULL;
	struct watch *w = NULL;
	struct store *store = NULL;
	struct redisconn *conn = NULL;
	struct sigaction sa;
	char err[1024];
	int rc = 1;

	memset(&e, 0, sizeof(e));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;	/* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
		fprintf(stderr, "knocker-firewall: sigaction: %s\n", strerror(errno));
		return 1;
	}
	if (open_source(conf, &store, &conn) != 0)
		goto done;
	/* The file: watch before the first read, so no change falls in between. */
	if (store == NULL && (w = watch_open(conf->storage_path)) == NULL) {
		fprintf(stderr, "knocker-firewall: %s: whitelist.storage_path: cannot watch its "
		    "directory: %s\n", conf->path, strerror(errno));
		goto done;
	}
	if ((nft = nftctl_new()) == NULL) {
		fprintf(stderr, "knocker-firewall: cannot set up libnftables\n");
		goto done;
	}
	if (enforce_start(&e, conf, nft, store, err, sizeof(err)) != 0) {
		fprintf(stderr, "knocker-firewall: %s\n", err);
		log_error(MOD, "%s", err);
		goto done;
	}
	warn_ephemeral(conf);
	log_info(MOD, "guarding %zu port entr%s in table inet %s (%s), following %s",
	    conf->firewall.nports, conf->firewall.nports == 1 ? "y" : "ies", conf->firewall.table,
	    conf->firewall.docker ? "prerouting, before Docker's DNAT" : "input",
	    store != NULL ? "the Redis store" : "the whitelist file");
	while (!stop_requested) {
		if (wait_tick(w, &e) != 0)
			goto done;
		if (stop_requested)
			break;
		(void)enforce_tick(&e);
	}
	log_info(MOD, "stopping; table inet %s stays in place", conf->firewall.table);
	rc = 0;
done:
	enforce_end(&e);
	watch_close(w);
	nftctl_free(nft);
	store_free(store);
	redisconn_free(conn);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("KNOCKER_CONFIG");
	struct conf *conf;
	int ch, dry = 0, rc;

	while ((ch = getopt(argc, argv, "c:nhV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("knocker-firewall %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (path == NULL || *path == '\0')
		path = DEFAULT_CONFIG;
	/* Before the config: its error would hide the real problem. */
	if (!dry && have_net_admin() == 0) {
		fprintf(stderr, "knocker-firewall: missing capability CAP_NET_ADMIN: run it as root "
		    "or with AmbientCapabilities=CAP_NET_ADMIN (conf-examples/knocker-firewall.service)\n");
		return 1;
	}
	if ((conf = load_conf(path)) == NULL)
		return 1;
	/* A Redis server that went away is then an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* stderr always: under systemd that is the journal. */
	if (log_open("stderr", conf->log_level) != 0)
		fprintf(stderr, "knocker-firewall: cannot set up logging\n");
	rc = dry ? print_ruleset(conf) : serve(conf);
	log_close();
	conf_free(conf);
	return rc;
}
