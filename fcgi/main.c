/*
 * knocker: the FastCGI responder/authorizer (under spawn-fcgi or a web
 * server that spawns it) and a plain CGI program answering the one request
 * in its environment (see is_cgi_request for which is which).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NO_FCGI_DEFINES
#include <fcgiapp.h>

#include "app.h"
#include "conf.h"
#include "errlist.h"
#include "fcgireq.h"
#include "log.h"
#include "redisconn.h"
#include "reload.h"
#include "store.h"

#define DEFAULT_CONFIG SYSCONFDIR "/knocker/knocker.json"

/*
 * The deadline, in one place: no web-server connection (FastCGI: from
 * accept to close, whatever it sends or does not send) and no CGI request
 * body holds a knocker process longer than this. A knock body is at most a
 * few hundred bytes and the servers forward it as it comes, so a client
 * that needs longer is slow on purpose. After it, the request fails closed
 * (the server answers 5xx; nothing is whitelisted).
 */
#define DEADLINE_SECONDS 10

/* How much unread request body the FastCGI loop reads away to end a
   request without libfcgi's close handshake, and how long it waits for it
   (see finish_request). */
#define DRAIN_MAX (64 * 1024)
#define DRAIN_SECONDS 1

/* libfcgi's accept filter: knocker accepts connections itself (see
   accept_connection), so it refuses the variable rather than ignore it. */
#define WEB_SERVER_ADDRS_UNSUPPORTED \
	"FCGI_WEB_SERVER_ADDRS is not supported: listen on loopback or a unix socket"

extern char **environ;

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t deadline_passed;
static volatile sig_atomic_t reload_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
on_reload_signal(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static void
on_deadline(int sig)
{
	(void)sig;
	deadline_passed = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: knocker [-c FILE]              serve (FastCGI under spawn-fcgi, or one CGI request)\n"
	    "       knocker -t [-c FILE] [-u USER] check what a worker checks at start and exit;\n"
	    "                                      as root, -u runs the checks as USER\n"
	    "       knocker -V | -h                version | this help (also --version, --help)\n"
	    "The configuration is -c FILE, else $KNOCKER_CONFIG, else %s.\n"
	    "Run as a CGI program (GATEWAY_INTERFACE set), knocker ignores its command line.\n"
	    "A worker's standard input is its listening socket (spawn-fcgi sets it up).\n",
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

static void
startup_list(const struct errlist *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		log_startup_error("%s", l->msg[i]);
	if (l->oom)
		log_startup_error("out of memory while reporting problems");
}

static const char *
config_path(const char *given)
{
	const char *path = given;

	if (path == NULL)
		path = getenv("KNOCKER_CONFIG");
	if (path == NULL || *path == '\0')
		path = DEFAULT_CONFIG;
	return path;
}

/* -u USER: become USER (groups included) for the checks. Root only. */
static int
become_user(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		fprintf(stderr, "knocker: -u %s: only root can check as another user\n", user);
		return -1;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "knocker: -u %s: no such user\n", user);
		return -1;
	}
	if (setgid(pw->pw_gid) == -1 || initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "knocker: -u %s: cannot switch to that user: %s\n", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* knocker -t: everything a worker checks at start, plus a writable
   whitelist directory; one line per problem. */
static int
check_config(const char *path, const char *user)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *conf;
	struct redisconn *conn = NULL;
	struct store *store;
	const char *what = "whitelist.storage_path";
	char err[512];
	int rc = 1;

	if (user != NULL && become_user(user) != 0)
		return 1;
	if (getenv("FCGI_WEB_SERVER_ADDRS") != NULL) {
		fprintf(stderr, "knocker: %s\n", WEB_SERVER_ADDRS_UNSUPPORTED);
		return 1;
	}
	conf = conf_load(path, &errs, &warns);
	print_list(&warns, "warning: ");
	if (conf == NULL) {
		print_list(&errs, "");
		goto done;
	}
	rc = 0;
	if (log_check_target(conf->log_target, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: log.target: %s\n", path, err);
		rc = 1;
	}
	if (conf->store.backend == CONF_STORE_REDIS) {
		what = "store";
		/* The problem is printed below: no "connected"/"unavailable" log lines. */
		(void)log_open("stderr", LOG_LEVEL_ERROR);
	}
	if ((store = store_new_conf(conf, &conn)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		rc = 1;
		goto done;
	}
	if (store_check_ready(store, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", path, what, err);
		rc = 1;
	}
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

/* --- FastCGI ---------------------------------------------------------------- */

/*
 * The deadline of a FastCGI connection is a real-time interval timer armed
 * at accept: SIGALRM (no SA_RESTART) makes any blocking read, write or poll
 * on the connection fail with EINTR, inside libfcgi as well, and repeats
 * every second after the deadline so that nothing blocks again. An idle
 * worker disarms it lazily (its accept is woken once).
 */
static void
deadline_arm(void)
{
	struct itimerval it = { { 1, 0 }, { DEADLINE_SECONDS, 0 } };

	(void)setitimer(ITIMER_REAL, &it, NULL);
	deadline_passed = 0;
}

static void
deadline_disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	(void)setitimer(ITIMER_REAL, &it, NULL);
	deadline_passed = 0;
}

static ssize_t
fcgi_read_body(void *ctx, char *buf, size_t size)
{
	FCGX_Stream *in = ctx;
	int n;

	if (deadline_passed) {
		log_warnx("fcgi", "request body not complete within %d s: request dropped",
		    DEADLINE_SECONDS);
		return -1;
	}
	n = FCGX_GetStr(buf, size > 65536 ? 65536 : (int)size, in);
	if (n < 0 || FCGX_GetError(in) != 0) {
		if (deadline_passed)
			log_warnx("fcgi", "request body not complete within %d s: request dropped",
			    DEADLINE_SECONDS);
		return -1;
	}
	return n;
}

static int
fcgi_put(const char *buf, size_t len, void *ctx)
{
	return FCGX_PutStr(buf, (int)len, (FCGX_Stream *)ctx);
}

/* accept_connection's answers besides a socket. */
#define ACCEPT_STOP	(-1)	/* the worker must stop */
#define ACCEPT_IDLE	(-2)	/* no connection yet: time for the config check */

/* Milliseconds until the wall clock's next second (the app's clock ticks
   then, and a config check is due), 1 ms past it. */
static int
ms_to_next_second(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) == -1)
		return 1000;
	return 1000 - (int)(now.tv_nsec / 1000000) + 1;
}

/*
 * Waits up to timeout_ms for a connection on fd 0. EPOLLEXCLUSIVE: one
 * connection wakes one idle worker, not all of them (as poll would). The
 * socket's wait queue wakes the first waiter queued, so a worker back from
 * a connection (requeue) queues itself anew, at the end: idle workers take
 * connections in turn, as they did from a blocking accept. Returns like
 * poll: > 0 ready, 0 timeout, -1 error or a signal.
 */
static int
wait_listener(int timeout_ms, bool requeue)
{
	static int ep = -1;
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

	if (ep >= 0 && requeue && epoll_ctl(ep, EPOLL_CTL_DEL, STDIN_FILENO, &ev) == -1) {
		close(ep);
		ep = -2;
	}
	if (ep == -1 || (ep >= 0 && requeue)) {
		if (ep == -1)
			ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev) == -1) {
			close(ep);
			ep = -2;
		}
		if (ep == -1)
			ep = -2;	/* poll from now on */
	}
	if (ep >= 0)
		return epoll_wait(ep, &ev, 1, timeout_ms);
	return poll(&pfd, 1, timeout_ms);
}

/*
 * One connection from the listening socket (fd 0, FCGI_LISTENSOCK_FILENO).
 * knocker accepts itself, not libfcgi, so that the deadline starts at
 * accept. The socket is non-blocking (see serve_fastcgi): an idle worker
 * waits in epoll_wait, which a signal always interrupts (SA_RESTART or
 * not) and which ends at the next second, so that it checks its config
 * file even when no request comes. Returns the socket, ACCEPT_IDLE (a second passed,
 * or SIGHUP), or ACCEPT_STOP (a stop signal, or an error that would repeat
 * forever).
 */
static int
accept_connection(void)
{
	static bool served;	/* a connection since the last wait */
	int fd, r;

	for (;;) {
		if (stop_requested)
			return ACCEPT_STOP;
		if (deadline_passed)
			deadline_disarm();
		if (reload_requested)
			return ACCEPT_IDLE;
		fd = accept4(STDIN_FILENO, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			served = true;
			return fd;
		}
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			/* Nothing waiting (or another worker took it). */
			r = wait_listener(ms_to_next_second(), served);
			served = false;
			if (r <= 0)
				return ACCEPT_IDLE;
			continue;
		case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
		case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP:
		case ENETUNREACH: case ETIMEDOUT: case ECONNRESET:
			continue;	/* that connection died in the queue */
		case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
			log_warn("fcgi", "accept");
			(void)poll(NULL, 0, 100);
			continue;
		default:
			log_warn("fcgi", "accept failed; worker exits");
			return ACCEPT_STOP;
		}
	}
}

/* Reads what is left of STDIN (at most DRAIN_MAX bytes). Returns 0 at the
   end of the stream, -1 on an error, at the deadline or past the cap. A
   body the answer did not need (a knock refused before its body was read)
   gets DRAIN_SECONDS, not the rest of the deadline: a slow client of a
   refused knock holds the worker no longer than that. */
static int
drain_stdin(FCGX_Stream *in, FCGX_Stream *out, const struct request *req)
{
	const char *len = req->content_length;
	char buf[4096];
	size_t total = 0;
	int n;

	if (!FCGX_HasSeenEOF(in) && len != NULL && *len != '\0' && strcmp(len, "0") != 0) {
		struct itimerval it = { { 1, 0 }, { DRAIN_SECONDS, 0 } };

		(void)FCGX_FFlush(out);	/* the answer goes out before the wait */
		(void)setitimer(ITIMER_REAL, &it, NULL);
	}

	while ((n = FCGX_GetStr(buf, sizeof(buf), in)) > 0) {
		total += (size_t)n;
		if (total > DRAIN_MAX)
			return -1;
	}
	return FCGX_GetError(in) == 0 && FCGX_HasSeenEOF(in) ? 0 : -1;
}

/*
 * Ends a request. libfcgi closes a connection with a handshake (shutdown,
 * poll until the web server closes, read): input still unread when a TCP
 * socket is closed turns the close into a reset, which could destroy the
 * answer in flight. Every connection is accepted detached (a plain close:
 * a connection that fails or times out is dropped at once); the handshake
 * is put back (FCGX_Attach) unless nothing more can come from the web
 * server:
 *  - a responder has read STDIN to its end (the rest of an unread body is
 *    read away here, up to DRAIN_MAX bytes and DRAIN_SECONDS);
 *  - an authorizer is never sent STDIN by Apache, and lighttpd sends its
 *    empty STDIN record with the params: the input is never read (it
 *    might never come and would block), but bytes already waiting in the
 *    socket are taken without waiting;
 *  - at the deadline (or the end of DRAIN_SECONDS), or when a stream
 *    failed (an aborted request), the connection is closed at once.
 */
static void
finish_request(FCGX_Request *fr, const struct request *req)
{
	bool plain = false;

	if (deadline_passed || FCGX_GetError(fr->in) != 0 || FCGX_GetError(fr->out) != 0) {
		plain = true;
	} else if (fr->keepConnection) {
		plain = false;	/* not closed now; what follows is the next request */
	} else if (req->role == APP_ROLE_RESPONDER) {
		plain = drain_stdin(fr->in, fr->out, req) == 0 || deadline_passed;
	} else {
		char buf[512];
		size_t total = 0;
		ssize_t n;

		do
			n = recv(fr->ipcFd, buf, sizeof(buf), MSG_DONTWAIT);
		while ((n > 0 && (total += (size_t)n) <= DRAIN_MAX) || (n < 0 && errno == EINTR));
		plain = n == 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
	if (!plain)
		FCGX_Attach(fr);
	FCGX_Finish_r(fr);
}

/* Applies a changed config file (at most one check a second; at once
   after SIGHUP). */
static void
reload_check(struct reload *rl)
{
	bool force = reload_requested != 0;

	reload_requested = 0;
	(void)reload_tick(rl, force);
}

static void
serve_fastcgi(struct app *app, struct reload *rl)
{
	FCGX_Request fr;
	struct request req;
	struct response resp;
	int one = 1, flags;

	/* Listening socket -1: libfcgi itself never accepts. When it gives up
	   on a connection (bad params, the deadline) its own accept fails at
	   once and FCGX_Accept_r returns an error: "no request", loop on. */
	if (FCGX_InitRequest(&fr, -1, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("fcgi", "cannot initialise the FastCGI request");
		return;
	}
	/* The listening socket is shared by every worker (one open file):
	   non-blocking, so that a worker that lost the race for a connection
	   goes back to poll instead of blocking in accept. Connections from
	   accept4 are blocking (Linux does not pass O_NONBLOCK on). */
	if ((flags = fcntl(STDIN_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK) == -1)
		log_warn("fcgi", "cannot make the listening socket non-blocking");
	while (!stop_requested) {
		if (fr.ipcFd < 0) {
			int fd = accept_connection();

			if (fd == ACCEPT_IDLE) {
				reload_check(rl);
				app_idle(app);
				continue;
			}
			if (fd < 0)
				break;
			fr.ipcFd = fd;
			/* FCGX_Accept_r first finishes the previous request and
			   would close a connection it was not asked to keep. */
			fr.keepConnection = 1;
			FCGX_Detach(&fr);
		} else {
			/* The web server kept the connection (FCGI_KEEP_CONN):
			   several answers on it, so no Nagle delay between them. */
			(void)setsockopt(fr.ipcFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		deadline_arm();
		if (FCGX_Accept_r(&fr) < 0)
			continue;
		/* Before the answer, so no request is decided on a config
		   older than a second (a worker may have waited on a kept
		   connection). */
		reload_check(rl);
		fcgireq_from_env((const char *const *)fr.envp, &req);
		/* Authorizer calls never get the body read (the servers may send
		   no STDIN record then: reading would hang). */
		if (req.role == APP_ROLE_RESPONDER) {
			req.read_body = fcgi_read_body;
			req.body_ctx = fr.in;
		}
		app_handle(app, &req, &resp);
		write_answer(&resp, fcgi_put, fr.out);
		finish_request(&fr, &req);
		reply_release(&resp);
		app_idle(app);
	}
	FCGX_Free(&fr, 1);
}

/* --- CGI --------------------------------------------------------------------- */

static struct timespec cgi_deadline;

static ssize_t
cgi_read_body(void *ctx, char *buf, size_t size)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	struct timespec now;
	long long left_ms;
	ssize_t n;
	int r;

	(void)ctx;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (long long)(cgi_deadline.tv_sec - now.tv_sec) * 1000 +
		    (cgi_deadline.tv_nsec - now.tv_nsec) / 1000000;
		if (left_ms <= 0) {
			log_warnx("cgi", "request body not complete within %d s: request dropped",
			    DEADLINE_SECONDS);
			return -1;
		}
		r = poll(&pfd, 1, (int)left_ms);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		n = read(STDIN_FILENO, buf, size);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
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

	clock_gettime(CLOCK_MONOTONIC, &cgi_deadline);
	cgi_deadline.tv_sec += DEADLINE_SECONDS;
	fcgireq_from_env((const char *const *)environ, &req);
	if (req.role == APP_ROLE_RESPONDER)
		req.read_body = cgi_read_body;
	app_handle(app, &req, &resp);
	write_answer(&resp, cgi_put, NULL);
	reply_release(&resp);
}

/*
 * A CGI request, decided before the command line is looked at: the web
 * server sets GATEWAY_INTERFACE for every CGI program (RFC 3875 4.1.4: it
 * MUST) and gives it a pipe or /dev/null as stdin; a FastCGI worker's fd 0
 * is a listening socket. GATEWAY_INTERFACE alone is not enough (it can be
 * inherited, e.g. spawn-fcgi started from a CGI script), fd 0 alone is not
 * either (`knocker -t` in a shell has a terminal there). So: CGI when
 * GATEWAY_INTERFACE is set and fd 0 is not a listening socket. Then the
 * command line is not ours: Apache's mod_cgi turns a query string without
 * '=' into arguments (GET /cgi-bin/knocker?-c+FILE, the PHP-CGI
 * CVE-2012-1823 class), so knocker ignores it entirely and takes its
 * config only from KNOCKER_CONFIG or the default path.
 */
static bool
is_cgi_request(void)
{
	int listening = 0;
	socklen_t len = sizeof(listening);

	if (getenv("GATEWAY_INTERFACE") == NULL)
		return false;
	return getsockopt(STDIN_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1 ||
	    !listening;
}

/* One CGI request (from the server, or by hand with fd 0 not a socket). */
static int
run_cgi(const char *path)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *conf;
	struct app app;

	conf = conf_load(path, &errs, &warns);
	print_list(&warns, "knocker: warning: ");
	if (conf == NULL) {
		print_list(&errs, "knocker: ");
		errlist_free(&errs);
		errlist_free(&warns);
		/* The request still gets an explicit (failing) answer. */
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
	serve_cgi(&app);
	app_fini(&app);
	conf_free(conf);
	log_close();
	return 0;
}

/* FastCGI workers: refuse to start (exit 1) on any problem -t reports
   except an unwritable whitelist directory, with a trace that reaches
   syslog when stderr is /dev/null (spawn-fcgi). */
static int
run_fastcgi(const char *path)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct sigaction sa;
	struct reload rl;
	struct conf *conf;
	struct app app;
	uint64_t hash;
	char err[512];

	if (getenv("FCGI_WEB_SERVER_ADDRS") != NULL) {
		log_startup_error("%s; refusing to start", WEB_SERVER_ADDRS_UNSUPPORTED);
		return 1;
	}
	/* SIGHUP: reload the config, never die. SA_RESTART: a HUP in the
	   middle of a request must not fail its reads and writes (the idle
	   worker's poll returns anyway). */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_reload_signal;
	sigaction(SIGHUP, &sa, NULL);
	if (reload_init(&rl, path) != 0) {
		log_startup_error("out of memory at start");
		return 1;
	}
	conf = conf_load_hash(path, &errs, &warns, &hash);
	if (conf == NULL) {
		reload_fini(&rl);
		startup_list(&errs);
		errlist_free(&errs);
		errlist_free(&warns);
		log_startup_error("%s: refusing to start", path);
		return 1;	/* the server then fails closed */
	}
	errlist_free(&errs);
	if (log_open(conf->log_target, conf->log_level) != 0) {
		log_startup_error("%s: log.target: cannot open %s: %s; refusing to start",
		    path, conf->log_target, strerror(errno));
		errlist_free(&warns);
		conf_free(conf);
		reload_fini(&rl);
		return 1;
	}
	for (size_t i = 0; i < warns.count; i++)
		log_warnx("main", "%s", warns.msg[i]);
	errlist_free(&warns);
	if (reload_check_storage_dir(conf->storage_path, err, sizeof(err)) != 0) {
		bool void_stderr = log_fd_is_void(STDERR_FILENO);

		log_error("main", "%s: whitelist.storage_path: %s; refusing to start", path, err);
		/* Also on stderr, or syslog if stderr is void, unless that is
		   where the line just went. */
		if (strcmp(conf->log_target, void_stderr ? "syslog" : "stderr") != 0)
			log_startup_error("%s: whitelist.storage_path: %s; refusing to start", path, err);
		conf_free(conf);
		reload_fini(&rl);
		log_close();
		return 1;
	}
	if (app_init(&app, conf) != 0) {
		log_error("main", "out of memory at start");
		conf_free(conf);
		reload_fini(&rl);
		return 1;
	}
	reload_start(&rl, conf, hash, &app);	/* rl owns conf from here */
	log_info("main", "worker %ld serving with %s", (long)getpid(), path);
	serve_fastcgi(&app, &rl);
	log_info("main", "worker %ld stopping", (long)getpid());
	app_fini(&app);
	reload_fini(&rl);
	log_close();
	return 0;
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
	/* No SA_RESTART: a blocked accept() or read must return. */
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_deadline;
	sigaction(SIGALRM, &sa, NULL);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *user = NULL;
	int ch, test_only = 0;

	install_signals();	/* before FCGX_Init, so libfcgi keeps ours */
	if (is_cgi_request())
		return run_cgi(config_path(NULL));

	while ((ch = getopt_long(argc, argv, "c:tu:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'u':
			user = optarg;
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
	if (optind != argc || (user != NULL && !test_only)) {
		usage(stderr);
		return 2;
	}
	path = config_path(path);
	if (test_only)
		return check_config(path, user);
	/* On a terminal there is no request to answer: libfcgi would take it
	   for CGI and print a raw "Status: 500" answer. Say how to run it. */
	if (isatty(STDIN_FILENO)) {
		fprintf(stderr, "knocker: not a CGI request or FastCGI socket: run it under spawn-fcgi "
		    "(see knocker(8)); 'knocker -t' checks the config, 'knocker --help' lists the options\n");
		return 2;
	}

	if (FCGX_Init() != 0) {
		log_startup_error("cannot initialise libfcgi");
		return 1;
	}
	if (FCGX_IsCGI())
		return run_cgi(path);
	return run_fastcgi(path);
}
