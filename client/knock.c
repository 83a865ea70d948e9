/*
 * knock: command-line client of knocker. Knocks (POST /knock), shows the
 * status (GET /knock), keeps the caller whitelisted (watch) and stores
 * settings (setup). Manual: client/knock.1; exit statuses: khttp.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "kcheck.h"
#include "kconf.h"
#include "khttp.h"
#include "kreport.h"
#include "watch.h"

enum cmd { CMD_KNOCK, CMD_STATUS, CMD_WATCH, CMD_SETUP, CMD_CHECK };

struct opts {
	enum cmd		 cmd;
	const char		*url_arg;
	char			*key_arg;	/* in argv: masked once copied */
	const char		*key_file;
	const char		*config;
	const char		*ip;
	const char		*cacert;
	long			 ttl;
	long			 timeout;
	long			 poll;
	long			 max_backoff;
	enum kfam		 fam;
	int			 json;
	int			 save;
	struct curl_slist	*resolve;
	struct kcheck_cfg	 check;		/* check: --excluded, --host, --spoof-ip */
};

/* Set by SIGINT/SIGTERM; nothing else happens in the handler. */
static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: knocker-knock [options] [URL]         knock: whitelist this machine's public IP\n"
"       knocker-knock status [options] [URL]  show the IP the server sees and its state\n"
"       knocker-knock watch [options] [URL]   stay whitelisted: re-knock before expiry\n"
"                                             and when the public IP changes\n"
"       knocker-knock setup [options] [URL]   check and save URL, key and TTL\n"
"       knocker-knock check [options] URL     from outside: try to get into the\n"
"                                             protected URL without a knock, with\n"
"                                             forged headers\n"
"\n"
"URL is the knock endpoint, e.g. https://home.example.org/knock (else\n"
"$KNOCKER_URL or $KNOCKER_API_URL, else the config file); a base URL such as\n"
"https://home.example.org gets /knock appended. When the host has IPv4 and\n"
"IPv6 addresses, knocker-knock goes over both and reports both entries.\n"
"\n"
"options:\n"
"  -k, --key KEY           API key (other local users can see it in ps;\n"
"                          prefer --key-file, KNOCKER_KEY or the config file)\n"
"  -K, --key-file FILE     read the API key from FILE (mode 0600)\n"
"  -c, --config FILE       settings file (default $XDG_CONFIG_HOME/knocker/config,\n"
"                          i.e. ~/.config/knocker/config; must be mode 0600)\n"
"  -t, --ttl SECONDS       ask for this lifetime (the server caps it at the key's max_ttl)\n"
"  -i, --ip IP[/PREFIX]    whitelist this address or range instead of your own\n"
"                          (the key needs allow_remote_whitelist)\n"
"  -4, -6                  use only IPv4 / only IPv6\n"
"  -j, --json              print one JSON object (for scripts)\n"
"      --save              after success, store URL, key and TTL in the settings file\n"
"      --resolve HOST:PORT:ADDR[,ADDR...]\n"
"                          connect to these addresses for HOST:PORT (like curl)\n"
"      --cacert FILE       trust the CA certificate(s) in FILE\n"
"      --timeout SECONDS   limit for each request (default 15)\n"
"      --poll SECONDS      watch: how often to check for an IP change\n"
"                          (default 10; 0: only re-knock before expiry)\n"
"      --max-backoff SECONDS  watch: longest wait after errors (default 300)\n"
"      --excluded PATH     check: a path the server lets through without a knock\n"
"                          (repeat; default /health, /healthz, /ping, /status, ...)\n"
"      --host NAME         check: a host name with its own exclusions (repeat)\n"
"      --spoof-ip IP       check: another address to forge as the client (repeat)\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"\n"
"The key comes from --key, --key-file, $KNOCKER_KEY, $KNOCKER_API_KEY or the\n"
"settings file, in that order.\n"
"\n"
"exit status: 0 success (also when one address family failed with a network\n"
"error and the other worked), 1 other server error, 2 usage error, 3 config or\n"
"key file problem, 4 network error, 5 bad API key (401), 6 forbidden (403),\n"
"7 rate limited (429), 8 status: not whitelisted, 9 check: a forged request\n"
"was let through (LEAK), 10 check: the plain request is already allowed.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "knocker-knock: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'knocker-knock --help'.\n");
	return KEXIT_USAGE;
}

static int
parse_num(const char *s, long min, long max, const char *opt, long *out)
{
	const char *errstr = NULL;
	long long v = strtonum(s, min, max, &errstr);

	if (errstr != NULL) {
		fprintf(stderr, "knocker-knock: %s '%s' is %s (allowed: %ld to %ld)\n"
		    "Try 'knocker-knock --help'.\n", opt, s, errstr, min, max);
		return -1;
	}
	*out = (long)v;
	return 0;
}

/* Validates and appends v to the list of --excluded (which 0), --host (1)
   or --spoof-ip (2). 0 or -1 with err. */
static int
check_add(struct kcheck_cfg *c, int which, const char *v, char *err, size_t errsz)
{
	static const char *const opt[] = { "--excluded", "--host", "--spoof-ip" };
	const char **list = which == 0 ? c->excluded : which == 1 ? c->hosts : c->spoof;
	size_t *n = which == 0 ? &c->nexcluded : which == 1 ? &c->nhosts : &c->nspoof;
	int rc = which == 0 ? kcheck_valid_path(v, err, errsz) :
	    which == 1 ? kcheck_valid_host(v, err, errsz) : kcheck_valid_ip(v, err, errsz);

	if (rc == -1)
		return -1;
	if (*n >= KCHECK_MAX_LIST) {
		snprintf(err, errsz, "%s: at most %d of them", opt[which], KCHECK_MAX_LIST);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

/* Parses the command line. 0, or an exit status (2, or 0 after --help). */
static int
parse_args(int argc, char **argv, struct opts *o, int *done)
{
	enum { O_SAVE = 256, O_RESOLVE, O_CACERT, O_TIMEOUT, O_POLL, O_MAXBACKOFF,
		O_EXCLUDED, O_HOST, O_SPOOF };
	static const struct option longopts[] = {
		{ "key",	 required_argument, NULL, 'k' },
		{ "key-file",	 required_argument, NULL, 'K' },
		{ "config",	 required_argument, NULL, 'c' },
		{ "ttl",	 required_argument, NULL, 't' },
		{ "ip",		 required_argument, NULL, 'i' },
		{ "json",	 no_argument,	    NULL, 'j' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ "version",	 no_argument,	    NULL, 'V' },
		{ "save",	 no_argument,	    NULL, O_SAVE },
		{ "resolve",	 required_argument, NULL, O_RESOLVE },
		{ "cacert",	 required_argument, NULL, O_CACERT },
		{ "timeout",	 required_argument, NULL, O_TIMEOUT },
		{ "poll",	 required_argument, NULL, O_POLL },
		{ "max-backoff", required_argument, NULL, O_MAXBACKOFF },
		{ "excluded",	 required_argument, NULL, O_EXCLUDED },
		{ "host",	 required_argument, NULL, O_HOST },
		{ "spoof-ip",	 required_argument, NULL, O_SPOOF },
		{ NULL, 0, NULL, 0 }
	};
	struct curl_slist *tmp;
	char err[512];
	int ch, i;

	*done = 0;
	o->timeout = 15;
	o->poll = 10;
	o->max_backoff = 300;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":k:K:c:t:i:46jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			o->key_arg = optarg;
			break;
		case 'K':
			o->key_file = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 't':
			if (kconf_parse_ttl(optarg, &o->ttl, err, sizeof err) == -1)
				return usage_error("--ttl: %s", err);
			break;
		case 'i':
			if (optarg[0] == '\0' || strlen(optarg) > 100)
				return usage_error("--ip wants an IP address or CIDR range, got '%s'",
				    optarg);
			o->ip = optarg;
			break;
		case '4':
		case '6':
			if (o->fam != KFAM_ANY && o->fam != (ch == '4' ? KFAM_V4 : KFAM_V6))
				return usage_error("%s", "-4 and -6 exclude each other");
			o->fam = ch == '4' ? KFAM_V4 : KFAM_V6;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			usage(stdout);
			*done = 1;
			return KEXIT_OK;
		case 'V':
			printf("knocker-knock (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			*done = 1;
			return KEXIT_OK;
		case O_SAVE:
			o->save = 1;
			break;
		case O_RESOLVE:
			if (khttp_check_resolve(optarg, err, sizeof err) == -1)
				return usage_error("%s", err);
			if ((tmp = curl_slist_append(o->resolve, optarg)) == NULL)
				return usage_error("%s", "out of memory");
			o->resolve = tmp;
			break;
		case O_CACERT:
			o->cacert = optarg;
			break;
		case O_TIMEOUT:
			if (parse_num(optarg, 1, 600, "--timeout", &o->timeout) == -1)
				return KEXIT_USAGE;
			break;
		case O_POLL:
			if (parse_num(optarg, 0, 86400, "--poll", &o->poll) == -1)
				return KEXIT_USAGE;
			break;
		case O_MAXBACKOFF:
			if (parse_num(optarg, 1, 86400, "--max-backoff", &o->max_backoff) == -1)
				return KEXIT_USAGE;
			break;
		case O_EXCLUDED:
		case O_HOST:
		case O_SPOOF:
			if (check_add(&o->check, ch - O_EXCLUDED, optarg, err, sizeof err) == -1)
				return usage_error("%s", err);
			break;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	i = optind;
	o->cmd = CMD_KNOCK;
	if (i < argc) {
		if (strcmp(argv[i], "status") == 0) {
			o->cmd = CMD_STATUS;
			i++;
		} else if (strcmp(argv[i], "watch") == 0) {
			o->cmd = CMD_WATCH;
			i++;
		} else if (strcmp(argv[i], "setup") == 0) {
			o->cmd = CMD_SETUP;
			i++;
		} else if (strcmp(argv[i], "check") == 0) {
			o->cmd = CMD_CHECK;
			i++;
		} else if (strcmp(argv[i], "knock") == 0) {
			i++;
		} else if (strcmp(argv[i], "help") == 0) {
			usage(stdout);
			*done = 1;
			return KEXIT_OK;
		}
	}
	if (i < argc)
		o->url_arg = argv[i++];
	if (i < argc)
		return usage_error("unexpected argument '%s'", argv[i]);
	if (o->key_arg != NULL && o->key_file != NULL)
		return usage_error("%s", "give --key or --key-file, not both");
	if (o->save && (o->cmd == CMD_WATCH || o->cmd == CMD_SETUP))
		return usage_error("%s", "--save goes with a knock or status (setup always saves)");
	if (o->ip != NULL && o->cmd != CMD_KNOCK && o->cmd != CMD_WATCH)
		return usage_error("%s", "--ip goes with a knock or watch");
	if (o->cmd != CMD_CHECK &&
	    o->check.nexcluded + o->check.nhosts + o->check.nspoof > 0)
		return usage_error("%s", "--excluded, --host and --spoof-ip go with check");
	if (o->cmd == CMD_CHECK) {
		if (o->key_arg != NULL || o->key_file != NULL || o->ttl > 0 || o->save)
			return usage_error("%s", "check sends no key: --key, --key-file, --ttl "
			    "and --save do not go with it");
		if (o->url_arg == NULL)
			return usage_error("%s", "check wants the URL of a protected page, e.g. "
			    "knocker-knock check https://home.example.org/app/");
	}
	return KEXIT_OK;
}

/* Reads one line from the terminal, without echo when secret. 0, -1 when
   there is no terminal, or KEXIT_* interrupted (-2). */
static int
prompt_tty(const char *prompt, int secret, char *out, size_t outsz)
{
	struct termios old, noecho;
	struct sigaction sa, oint, oterm;
	size_t len = 0;
	ssize_t n;
	char c;
	int fd, restore = 0, rc = -1;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);
	if (secret && tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		noecho.c_lflag |= ECHONL;
		if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0)
			restore = 1;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR && !stop_flag)
			continue;
		if (n != 1 || stop_flag) {
			rc = stop_flag ? -2 : -1;
			goto out;
		}
		if (c == '\n')
			break;
		if (len + 1 < outsz)
			out[len++] = c;
	}
	out[len] = '\0';
	while (len > 0 && (out[len - 1] == '\r' || out[len - 1] == ' '))
		out[--len] = '\0';
	rc = 0;
out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	explicit_bzero(&c, sizeof c);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	close(fd);
	if (rc != 0)
		explicit_bzero(out, outsz);
	return rc;
}

/* Reads the key from stdin (first line) when it is not a terminal. */
static int
key_from_stdin(char *key, size_t keysz)
{
	char buf[KCONF_MAX_KEY + 8];
	char *p;

	if (isatty(STDIN_FILENO) || fgets(buf, sizeof buf, stdin) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strlcpy(key, p, keysz) >= keysz)
		key[0] = '\0';
	explicit_bzero(buf, sizeof buf);
	return key[0] != '\0' ? 0 : -1;
}

/* Finds the key: --key, --key-file, KNOCKER_KEY, then the settings file.
   0, or an exit status after printing why. */
/* The first of two environment variables that is set and not empty;
   *name says which. NULL when neither is. */
static const char *
env_either(const char *a, const char *b, const char **name)
{
	const char *v;

	if ((v = getenv(a)) != NULL && v[0] != '\0') {
		*name = a;
		return v;
	}
	if ((v = getenv(b)) != NULL && v[0] != '\0') {
		*name = b;
		return v;
	}
	return NULL;
}

/* Finds the key: --key, --key-file, KNOCKER_KEY, KNOCKER_API_KEY (the name
   knocker-cli reads), then the settings file. 0, or an exit status after
   printing why. */
static int
find_key(struct opts *o, const struct kconf *cf, char *key, size_t keysz)
{
	const char *envname = NULL;
	const char *env = env_either("KNOCKER_KEY", "KNOCKER_API_KEY", &envname);
	char err[512];

	if (o->key_arg != NULL) {
		if (kconf_check_key(o->key_arg, "--key", err, sizeof err) == -1)
			goto usage;
		strlcpy(key, o->key_arg, keysz);
		/* hide it from ps(1) from now on (it was visible until here) */
		memset(o->key_arg, 'x', strlen(o->key_arg));
		return 0;
	}
	if (o->key_file != NULL) {
		if (kconf_read_key_file(o->key_file, key, keysz, err, sizeof err) == -1) {
			fprintf(stderr, "knocker-knock: %s\n", err);
			return KEXIT_CONFIG;
		}
		return 0;
	}
	if (env != NULL) {
		if (kconf_check_key(env, envname, err, sizeof err) == -1)
			goto usage;
		strlcpy(key, env, keysz);
		return 0;
	}
	if (cf->key[0] != '\0') {
		strlcpy(key, cf->key, keysz);
		return 0;
	}
	fprintf(stderr, "knocker-knock: no API key: use --key-file FILE, set KNOCKER_KEY, or run "
	    "'knocker-knock setup' to store it\n");
	return KEXIT_USAGE;
usage:
	fprintf(stderr, "knocker-knock: %s\n", err);
	return KEXIT_USAGE;
}

static const char *
fam_json(enum kfam f)
{
	return f == KFAM_V4 ? "ipv4" : f == KFAM_V6 ? "ipv6" : "any";
}

static void
add_int_or_null(cJSON *o, const char *name, int64_t v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)v);
}

static void
print_json(const char *cmd, const char *url, const struct kresult *r, size_t n,
    int overall, const char *saved)
{
	cJSON *root, *arr, *it;
	char *s;
	size_t i;

	if ((root = cJSON_CreateObject()) == NULL)
		return;
	cJSON_AddStringToObject(root, "command", cmd);
	cJSON_AddStringToObject(root, "url", url);
	cJSON_AddNumberToObject(root, "exit_code", overall);
	if (saved != NULL)
		cJSON_AddStringToObject(root, "saved", saved);
	arr = cJSON_AddArrayToObject(root, "results");
	for (i = 0; arr != NULL && i < n; i++) {
		if ((it = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(arr, it);
		cJSON_AddStringToObject(it, "family", fam_json(r[i].fam));
		cJSON_AddBoolToObject(it, "ok", r[i].exit == KEXIT_OK);
		if (r[i].http_status > 0)
			cJSON_AddNumberToObject(it, "http_status", (double)r[i].http_status);
		else
			cJSON_AddNullToObject(it, "http_status");
		if (r[i].exit != KEXIT_OK) {
			cJSON_AddNumberToObject(it, "exit_code", r[i].exit);
			cJSON_AddStringToObject(it, "error", r[i].error);
			if (r[i].retry_after >= 0)
				cJSON_AddNumberToObject(it, "retry_after", (double)r[i].retry_after);
			if (kreport_ignored(r, n, i))
				cJSON_AddBoolToObject(it, "ignored", 1);
			continue;
		}
		if (r[i].whitelisted >= 0) {
			cJSON_AddStringToObject(it, "client_ip", r[i].client_ip);
			cJSON_AddBoolToObject(it, "whitelisted", r[i].whitelisted);
		} else {
			cJSON_AddStringToObject(it, "whitelisted_entry", r[i].entry);
		}
		add_int_or_null(it, "expires_at", r[i].expires_at);
		add_int_or_null(it, "expires_in_seconds", r[i].expires_in);
		if (r[i].whitelisted < 0 && r[i].requested_ttl > 0) {
			char cap[160];

			cJSON_AddNumberToObject(it, "requested_ttl", (double)r[i].requested_ttl);
			cJSON_AddBoolToObject(it, "ttl_capped",
			    kreport_capped(&r[i], cap, sizeof cap));
		}
	}
	if ((s = cJSON_PrintUnformatted(root)) != NULL) {
		printf("%s\n", s);
		cJSON_free(s);
	}
	cJSON_Delete(root);
}

static void
print_human(const struct kresult *r, size_t n)
{
	char dur[64], when[64], line[600];
	const char *pfx, *colon;
	size_t i;

	for (i = 0; i < n; i++) {
		pfx = r[i].fam != KFAM_ANY ? kfam_name(r[i].fam) : "";
		colon = r[i].fam != KFAM_ANY ? ": " : "";
		if (r[i].exit != KEXIT_OK) {
			kreport_failure(&r[i], line, sizeof line);
			if (kreport_ignored(r, n, i))
				fprintf(stderr, "knocker-knock: warning: %s%s%s (the other address "
				    "family worked)\n", pfx, colon, line);
			else
				fprintf(stderr, "knocker-knock: %s%s%s\n", pfx, colon, line);
			continue;
		}
		if (r[i].whitelisted < 0) {
			kreport_duration(r[i].expires_in, dur, sizeof dur);
			kreport_when(r[i].expires_at, when, sizeof when);
			printf("%s%swhitelisted %s for %s (until %s)\n", pfx, colon, r[i].entry,
			    dur, when);
			if (kreport_capped(&r[i], line, sizeof line))
				fprintf(stderr, "knocker-knock: note: %s%s%s\n", pfx, colon, line);
		} else if (r[i].whitelisted == 0) {
			printf("%s%s%s is not whitelisted\n", pfx, colon, r[i].client_ip);
		} else if (r[i].expires_at < 0) {
			printf("%s%s%s is always allowed\n", pfx, colon, r[i].client_ip);
		} else {
			kreport_duration(r[i].expires_in, dur, sizeof dur);
			kreport_when(r[i].expires_at, when, sizeof when);
			printf("%s%s%s is whitelisted for %s more (until %s)\n", pfx, colon,
			    r[i].client_ip, dur, when);
		}
	}
	fflush(stdout);
}

static int
save_settings(const char *path, const struct kconf *base, const char *url, const char *key,
    long ttl)
{
	struct kconf c;
	char err[512];
	int rc;

	c = *base;
	strlcpy(c.url, url, sizeof c.url);
	strlcpy(c.key, key, sizeof c.key);
	if (ttl > 0)
		c.ttl = ttl;
	rc = kconf_save(path, &c, err, sizeof err);
	kconf_wipe(&c);
	if (rc == -1) {
		fprintf(stderr, "knocker-knock: %s\n", err);
		return KEXIT_CONFIG;
	}
	return KEXIT_OK;
}

/* Runs knock, status or the check of setup over every family. */
static int
run_once(const struct opts *o, struct khttp_opts *h, const char *cfgpath,
    const struct kconf *cf, long ttl)
{
	struct kresult r[2];
	enum kfam fams[2];
	char err[512];
	const char *cmd, *saved = NULL;
	int nf, i, overall, is_status = o->cmd != CMD_KNOCK;

	if (o->ip != NULL && o->fam == KFAM_ANY) {
		nf = 1;			/* a given entry: one knock is enough */
		fams[0] = KFAM_ANY;
	} else if ((nf = khttp_families(h->url, o->fam, h->resolve, fams, err,
	    sizeof err)) == -1) {
		fprintf(stderr, "knocker-knock: %s\n", err);
		return KEXIT_USAGE;
	}
	for (i = 0; i < nf; i++) {
		if (is_status)
			khttp_status(h, fams[i], &r[i]);
		else
			khttp_knock(h, fams[i], o->ip, ttl, &r[i]);
	}
	overall = kreport_overall(r, (size_t)nf, is_status);
	if (o->cmd == CMD_SETUP && overall == KEXIT_NOT_WHITELISTED)
		overall = KEXIT_OK;	/* the key works; that is all setup checks */
	if ((o->save || o->cmd == CMD_SETUP) && overall == KEXIT_OK) {
		overall = save_settings(cfgpath, cf, h->url, h->key, o->ttl);
		if (overall == KEXIT_OK)
			saved = cfgpath;
	}
	cmd = o->cmd == CMD_KNOCK ? "knock" : o->cmd == CMD_STATUS ? "status" : "setup";
	if (o->json) {
		print_json(cmd, h->url, r, (size_t)nf, overall, saved);
	} else {
		print_human(r, (size_t)nf);
		if (saved != NULL)
			fprintf(stderr, "knocker-knock: settings saved to %s\n", saved);
		else if ((o->save || o->cmd == CMD_SETUP) && overall != KEXIT_OK)
			fprintf(stderr, "knocker-knock: settings not saved\n");
	}
	return overall;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* knocker-knock check: no settings file, no key; the URL is a protected page. */
static int
run_check(struct opts *o)
{
	char url[KCONF_MAX_URL], err[600];
	int cleartext;

	if (khttp_check_url(o->url_arg, url, sizeof url, &cleartext, err, sizeof err) == -1)
		return usage_error("%s", err);
	o->check.http.url = url;
	o->check.http.key = NULL;
	o->check.http.resolve = o->resolve;
	o->check.http.cacert = o->cacert;
	o->check.http.timeout = o->timeout;
	o->check.http.stop = &stop_flag;
	o->check.fam = o->fam;
	o->check.json = o->json;
	catch_signals();
	return kcheck_run(&o->check);
}

static int
run(struct opts *o)
{
	struct kconf cf;
	struct khttp_opts h;
	struct watch_cfg w;
	char cfgpath[KCONF_MAX_URL], url[KCONF_MAX_URL], key[KCONF_MAX_KEY + 1];
	char err[600], urlbuf[KCONF_MAX_URL];
	const char *url_in, *envname = NULL;
	long ttl;
	int rc, cleartext;

	memset(&cf, 0, sizeof cf);
	key[0] = '\0';
	if (o->cmd == CMD_CHECK)
		return run_check(o);
	if (o->config != NULL) {
		if (strlcpy(cfgpath, o->config, sizeof cfgpath) >= sizeof cfgpath)
			return usage_error("%s", "--config: path too long");
	} else if (kconf_default_path(cfgpath, sizeof cfgpath, err, sizeof err) == -1) {
		fprintf(stderr, "knocker-knock: %s\n", err);
		return KEXIT_CONFIG;
	}
	/* setup writes a fresh file, so a broken or too open one can be replaced */
	if (o->cmd != CMD_SETUP &&
	    kconf_load(cfgpath, o->config == NULL, &cf, err, sizeof err) == -1) {
		fprintf(stderr, "knocker-knock: %s\n", err);
		return KEXIT_CONFIG;
	}

	url_in = o->url_arg;
	if (url_in == NULL)
		url_in = env_either("KNOCKER_URL", "KNOCKER_API_URL", &envname);
	if (url_in == NULL && cf.url[0] != '\0')
		url_in = cf.url;
	if (url_in == NULL && o->cmd == CMD_SETUP) {
		rc = prompt_tty("Knock URL (e.g. https://home.example.org/knock): ", 0,
		    urlbuf, sizeof urlbuf);
		if (rc == -2) {
			rc = 130;
			goto out;
		}
		if (rc == 0 && urlbuf[0] != '\0')
			url_in = urlbuf;
	}
	if (url_in == NULL) {
		rc = usage_error("%s", "no URL: give the knock endpoint (e.g. "
		    "https://home.example.org/knock), set KNOCKER_URL, or run 'knocker-knock setup'");
		goto out;
	}
	if (khttp_check_url(url_in, url, sizeof url, &cleartext, err, sizeof err) == -1 ||
	    khttp_knock_url(url, sizeof url, err, sizeof err) == -1) {
		rc = usage_error("%s", err);
		goto out;
	}
	if (cleartext)
		fprintf(stderr, "knocker-knock: warning: %s is plain http: the API key travels "
		    "unencrypted\n", url);

	if (o->cmd == CMD_SETUP && o->key_arg == NULL && o->key_file == NULL &&
	    env_either("KNOCKER_KEY", "KNOCKER_API_KEY", &envname) == NULL) {
		rc = prompt_tty("API key (not shown): ", 1, key, sizeof key);
		if (rc == -2) {
			rc = 130;
			goto out;
		}
		if (rc == -1 && key_from_stdin(key, sizeof key) == -1) {
			rc = usage_error("%s", "no API key: give --key-file FILE, set "
			    "KNOCKER_KEY, or pipe the key on stdin");
			goto out;
		}
		if (kconf_check_key(key, "the key you entered", err, sizeof err) == -1) {
			rc = usage_error("%s", err);
			goto out;
		}
	} else if ((rc = find_key(o, &cf, key, sizeof key)) != KEXIT_OK) {
		goto out;
	}
	ttl = o->ttl > 0 ? o->ttl : cf.ttl;

	memset(&h, 0, sizeof h);
	h.url = url;
	h.key = key;
	h.resolve = o->resolve;
	h.cacert = o->cacert;
	h.timeout = o->timeout;
	h.stop = &stop_flag;
	h.https_assumed = strstr(url_in, "://") == NULL;

	if (o->cmd != CMD_WATCH) {
		rc = run_once(o, &h, cfgpath, &cf, ttl);
		goto out;
	}
	catch_signals();
	memset(&w, 0, sizeof w);
	w.http = h;
	w.want = o->fam;
	w.ip = o->ip;
	w.ttl = ttl;
	w.poll = o->poll;
	w.max_backoff = o->max_backoff;
	rc = watch_run(&w);
out:
	explicit_bzero(key, sizeof key);
	kconf_wipe(&cf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int rc, done;

	memset(&o, 0, sizeof o);
	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &o, &done);
	if (rc != KEXIT_OK || done)
		goto out;
	if (khttp_global_init() == -1) {
		fprintf(stderr, "knocker-knock: cannot initialize libcurl\n");
		rc = KEXIT_NETWORK;
		goto out;
	}
	rc = run(&o);
	khttp_global_cleanup();
out:
	curl_slist_free_all(o.resolve);
	if (fflush(stdout) == EOF && rc == KEXIT_OK)
		rc = KEXIT_SERVER;
	return rc;
}
