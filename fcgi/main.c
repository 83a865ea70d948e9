/*
 * knocker: the FastCGI responder/authorizer (under spawn-fcgi or a web
 * server that spawns it) and, when fd 0 is not a socket, a plain CGI
 * program answering the one request in its environment.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_FCGI_DEFINES
#include <fcgiapp.h>

#include "app.h"
#include "conf.h"
#include "errlist.h"
#include "fcgireq.h"
#include "log.h"
#include "redisconn.h"
#include "store.h"

#define DEFAULT_CONFIG SYSCONFDIR "/knocker/knocker.json"

extern char **environ;

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
	    "usage: knocker [-c FILE]      serve (FastCGI under spawn-fcgi, or one CGI request)\n"
	    "       knocker -t [-c FILE]   check the configuration and exit\n"
	    "       knocker -V | -h        version | this help\n"
	    "The configuration is -c FILE, else $KNOCKER_CONFIG, else %s.\n",
	    DEFAULT_CONFIG);
}

static void
print_list(const struct errlist *l, const char *prefix)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		fprintf(stderr, "%s%s\n", prefix, l->msg[i]);
	if (l->oom)
		fprintf(stderr, "%sout of memory while reporting problems\n", prefix);
}

/* knocker -t: config and whitelist directory; one line per problem. */
static int
check_config(const char *path)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *conf;
	struct redisconn *conn = NULL;
	struct store *store;
	const char *what = "whitelist.storage_path";
	char err[256];
	int rc = 1;

	conf = conf_load(path, &errs, &warns);
	print_list(&warns, "warning: ");
	if (conf == NULL) {
		print_list(&errs, "");
		goto done;
	}
	if (conf->store.backend == CONF_STORE_REDIS) {
		what = "store";
		/* The problem is printed below: no "connected"/"unavailable" log lines. */
		(void)log_open("stderr", LOG_LEVEL_ERROR);
		conn = redisconn_new(&conf->store);
		store = conn != NULL ? store_new_redis(conn, conf->store.prefix, conf->max_entries) : NULL;
	} else
		store = store_new(conf->storage_path, conf->max_entries, NULL);
	if (store == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto done;
	}
	if (store_check_ready(store, err, sizeof(err)) != 0)
		fprintf(stderr, "%s: %s: %s\n", path, what, err);
	else
		rc = 0;
	store_free(store);
	if (rc == 0)
		printf("%s: ok\n", path);
done:
	redisconn_free(conn);
	conf_free(conf);
	errlist_free(&errs);
	errlist_free(&warns);
	return rc;
}

/* --- FastCGI ---------------------------------------------------------------- */

static ssize_t
fcgi_read_body(void *ctx, char *buf, size_t size)
{
	int n = FCGX_GetStr(buf, size > 65536 ? 65536 : (int)size, (FCGX_Stream *)ctx);

	return n < 0 ? -1 : n;
}

static void
write_answer(const struct response *resp, int (*put)(const char *, size_t, void *), void *ctx)
{
	static const char fallback[] = "Status: 500 Internal Server Error\r\n\r\n";
	char out[FCGIREQ_OUT_MAX];
	size_t len = fcgireq_format(resp, out, sizeof(out));

	/* An empty answer is an allow to lighttpd: never send one. */
	if (len == 0) {
		log_error("fcgi", "answer did not fit; sending 500");
		put(fallback, sizeof(fallback) - 1, ctx);
		return;
	}
	put(out, len, ctx);
	if (resp->content_type != NULL && resp->long_body != NULL && resp->body_len > 0)
		put(resp->long_body, resp->body_len, ctx);
}

static int
fcgi_put(const char *buf, size_t len, void *ctx)
{
	return FCGX_PutStr(buf, (int)len, (FCGX_Stream *)ctx);
}

static void
serve_fastcgi(struct app *app)
{
	FCGX_Request fr;
	struct request req;
	struct response resp;
	char scratch[FCGIREQ_SCRATCH];

	if (FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("fcgi", "cannot initialise the FastCGI request");
		return;
	}
	while (!stop_requested) {
		if (FCGX_Accept_r(&fr) < 0) {
			if (!stop_requested)
				log_error("fcgi", "accept failed; worker exits");
			break;
		}
		fcgireq_from_env((const char *const *)fr.envp, &req, scratch, sizeof(scratch));
		/* Authorizer calls never get the body read (SERVERS.md: the
		   servers send no STDIN record then, reading would hang). */
		if (req.role == APP_ROLE_RESPONDER) {
			req.read_body = fcgi_read_body;
			req.body_ctx = fr.in;
		}
		app_handle(app, &req, &resp);
		write_answer(&resp, fcgi_put, fr.out);
		reply_release(&resp);
		FCGX_Finish_r(&fr);
		app_idle(app);
	}
	FCGX_Free(&fr, 1);
}

/* --- CGI --------------------------------------------------------------------- */

static ssize_t
cgi_read_body(void *ctx, char *buf, size_t size)
{
	ssize_t n;

	(void)ctx;
	do
		n = read(STDIN_FILENO, buf, size);
	while (n < 0 && errno == EINTR);
	return n;
}

static int
cgi_put(const char *buf, size_t len, void *ctx)
{
	(void)ctx;
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
serve_cgi(struct app *app)
{
	struct request req;
	struct response resp;
	char scratch[FCGIREQ_SCRATCH];

	fcgireq_from_env((const char *const *)environ, &req, scratch, sizeof(scratch));
	if (req.role == APP_ROLE_RESPONDER)
		req.read_body = cgi_read_body;
	app_handle(app, &req, &resp);
	write_answer(&resp, cgi_put, NULL);
	reply_release(&resp);
}

/* --- main -------------------------------------------------------------------- */

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Over a file-size limit, write() must fail with EFBIG (the knock gets
	   a 500 and the old whitelist stays) instead of killing the worker. */
	sigaction(SIGXFSZ, &sa, NULL);
	/* No SA_RESTART: a blocked accept() must return so the loop can end. */
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

int
main(int argc, char *argv[])
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	const char *path = NULL;
	struct conf *conf;
	struct app app;
	int ch, test_only = 0, is_cgi, rc = 0;

	while ((ch = getopt(argc, argv, "c:thV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("knocker %s\n", PACKAGE_VERSION);
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
	if (path == NULL)
		path = getenv("KNOCKER_CONFIG");
	if (path == NULL || *path == '\0')
		path = DEFAULT_CONFIG;
	if (test_only)
		return check_config(path);

	install_signals();	/* before FCGX_Init, so libfcgi keeps ours */
	if (FCGX_Init() != 0) {
		fprintf(stderr, "knocker: cannot initialise libfcgi\n");
		return 1;
	}
	is_cgi = FCGX_IsCGI();

	conf = conf_load(path, &errs, &warns);
	print_list(&warns, "knocker: warning: ");
	if (conf == NULL) {
		print_list(&errs, "knocker: ");
		errlist_free(&errs);
		errlist_free(&warns);
		if (!is_cgi)
			return 1;	/* refuse to start; the server then fails closed */
		/* A CGI request still gets an explicit (failing) answer. */
		app_init(&app, NULL);
		serve_cgi(&app);
		return 1;
	}
	errlist_free(&errs);
	errlist_free(&warns);
	if (log_open(conf->log_target, conf->log_level) != 0) {
		fprintf(stderr, "knocker: %s: log.target: cannot open %s: %s\n",
		    path, conf->log_target, strerror(errno));
		conf_free(conf);
		return 1;
	}
	if (app_init(&app, conf) != 0) {
		log_error("main", "out of memory at start");
		conf_free(conf);
		return 1;
	}
	if (is_cgi) {
		serve_cgi(&app);
	} else {
		log_info("main", "worker %ld serving with %s", (long)getpid(), path);
		serve_fastcgi(&app);
		log_info("main", "worker %ld stopping", (long)getpid());
	}
	app_fini(&app);
	conf_free(conf);
	log_close();
	return rc;
}
