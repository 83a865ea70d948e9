/*
 * A minimal FastCGI client for bench/run: sends one request the way a web
 * server does (BEGIN_REQUEST without FCGI_KEEP_CONN, the parameters given,
 * STDIN, one connection per request) and reads the answer.
 *
 *   fcgi_call [-a] [-n COUNT] [-b FILE] [-s CODE] [-t] [-q] HOST:PORT [NAME=VALUE ...]
 *
 *   -a        the AUTHORIZER role (lighttpd's authorizer mode); RESPONDER
 *             otherwise (nginx auth_request, /knock)
 *   -n COUNT  send the request COUNT times, one after the other (1)
 *   -b FILE   the request body, sent as STDIN (give CONTENT_LENGTH yourself)
 *   -s CODE   every answer must carry "Status: CODE" (or no Status at all
 *             when CODE is 200); exit 1 at the first that does not
 *   -t        print each request's wall time in milliseconds
 *   -q        do not print the last answer
 *
 * Unlike cgi-fcgi, which sends its whole environment, only the parameters
 * on the command line go out, so a worker's cost per request is measured
 * with the parameter set a real server sends.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	T_BEGIN_REQUEST = 1, T_END_REQUEST = 3, T_PARAMS = 4, T_STDIN = 5,
	T_STDOUT = 6, T_STDERR = 7,
	ROLE_RESPONDER = 1, ROLE_AUTHORIZER = 2,
	REC_MAX = 65535,
	ANSWER_MAX = 1 << 20,
};

struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

static void
die(const char *what)
{
	fprintf(stderr, "fcgi_call: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(2);
}

static void
buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + len)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

/* Appends one record (content of any length: split into REC_MAX pieces). */
static void
add_records(struct buf *b, int type, const unsigned char *p, size_t len)
{
	do {
		size_t n = len > REC_MAX ? REC_MAX : len;
		unsigned char h[8] = { 1, (unsigned char)type, 0, 1,
		    (unsigned char)(n >> 8), (unsigned char)n, 0, 0 };

		buf_add(b, h, sizeof(h));
		buf_add(b, p, n);
		p += n;
		len -= n;
	} while (len > 0);
}

static void
add_length(struct buf *b, size_t n)
{
	unsigned char l[4] = { (unsigned char)(0x80 | (n >> 24)), (unsigned char)(n >> 16),
	    (unsigned char)(n >> 8), (unsigned char)n };

	if (n < 128) {
		l[0] = (unsigned char)n;
		buf_add(b, l, 1);
	} else
		buf_add(b, l, 4);
}

/* The whole request, built once and sent as many times as asked. */
static void
build_request(struct buf *req, int role, char **params, int nparams, const struct buf *body)
{
	unsigned char begin[8] = { 0, (unsigned char)role, 0, 0, 0, 0, 0, 0 };
	struct buf pv = { 0 };
	int i;

	add_records(req, T_BEGIN_REQUEST, begin, sizeof(begin));
	for (i = 0; i < nparams; i++) {
		const char *eq = strchr(params[i], '=');

		if (eq == NULL || eq == params[i]) {
			errno = 0;
			die("parameters are NAME=VALUE");
		}
		add_length(&pv, (size_t)(eq - params[i]));
		add_length(&pv, strlen(eq + 1));
		buf_add(&pv, params[i], (size_t)(eq - params[i]));
		buf_add(&pv, eq + 1, strlen(eq + 1));
	}
	if (pv.len > 0)
		add_records(req, T_PARAMS, pv.p, pv.len);
	add_records(req, T_PARAMS, NULL, 0);
	if (body->len > 0)
		add_records(req, T_STDIN, body->p, body->len);
	add_records(req, T_STDIN, NULL, 0);
	free(pv.p);
}

static int
connect_to(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0)
		die("connect");
	return fd;
}

static bool
read_full(int fd, unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* One request; its STDOUT in *out. False if the answer is cut short. */
static bool
call(const struct sockaddr_in *sa, const struct buf *req, struct buf *out)
{
	int fd = connect_to(sa);
	size_t off = 0;
	bool ended = false;

	while (off < req->len) {
		ssize_t n = write(fd, req->p + off, req->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		off += (size_t)n;
	}
	out->len = 0;
	while (!ended) {
		unsigned char h[8], content[REC_MAX + 255];
		size_t clen, plen;

		if (!read_full(fd, h, sizeof(h)))
			break;
		clen = (size_t)h[4] << 8 | h[5];
		plen = h[6];
		if (!read_full(fd, content, clen + plen))
			break;
		if (h[1] == T_STDOUT && out->len + clen <= ANSWER_MAX)
			buf_add(out, content, clen);
		else if (h[1] == T_STDERR)
			fwrite(content, 1, clen, stderr);
		else if (h[1] == T_END_REQUEST)
			ended = true;
	}
	close(fd);
	buf_add(out, "", 1);	/* a NUL after the answer, for answer_status */
	out->len--;
	return ended;
}

/* The answer's status: its "Status:" header, 200 when it has none
   (out->p is NUL-terminated). */
static int
answer_status(const struct buf *out)
{
	size_t i = 0;

	while (i < out->len) {
		const unsigned char *line = out->p + i, *nl;
		size_t left = out->len - i;

		nl = memchr(line, '\n', left);
		if (line[0] == '\r' || line[0] == '\n')
			break;	/* end of the headers */
		if (left > 8 && strncasecmp((const char *)line, "Status: ", 8) == 0)
			return atoi((const char *)line + 8);
		if (nl == NULL)
			break;
		i = (size_t)(nl - out->p) + 1;
	}
	return out->len > 0 ? 200 : 0;
}

static void
read_body(const char *path, struct buf *body)
{
	FILE *f = fopen(path, "rb");
	unsigned char chunk[4096];
	size_t n;

	if (f == NULL)
		die(path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(body, chunk, n);
	fclose(f);
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max) {
		errno = 0;
		die("a number is out of range");
	}
	return n;
}

static void
parse_addr(const char *hostport, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(hostport, ':');
	long port;

	errno = 0;
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		die("the address is HOST:PORT (IPv4)");
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	port = number(colon + 1, 1, 65535);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("the address is HOST:PORT (IPv4)");
}

int
main(int argc, char **argv)
{
	struct buf req = { 0 }, body = { 0 }, out = { 0 };
	struct sockaddr_in sa;
	int ch, role = ROLE_RESPONDER, want = 0;
	long count = 1, i;
	bool timing = false, quiet = false;

	while ((ch = getopt(argc, argv, "ab:n:qs:t")) != -1) {
		switch (ch) {
		case 'a': role = ROLE_AUTHORIZER; break;
		case 'b': read_body(optarg, &body); break;
		case 'n': count = number(optarg, 1, 100000000); break;
		case 'q': quiet = true; break;
		case 's': want = (int)number(optarg, 100, 599); break;
		case 't': timing = true; break;
		default:
			fprintf(stderr, "usage: fcgi_call [-a] [-n COUNT] [-b FILE] [-s CODE] [-t] [-q] "
			    "HOST:PORT [NAME=VALUE ...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		errno = 0;
		die("usage: fcgi_call [options] HOST:PORT [NAME=VALUE ...]");
	}
	parse_addr(argv[optind], &sa);
	build_request(&req, role, argv + optind + 1, argc - optind - 1, &body);
	for (i = 0; i < count; i++) {
		struct timespec t0, t1;
		int status;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (!call(&sa, &req, &out)) {
			fprintf(stderr, "fcgi_call: request %ld: the answer ended early\n", i + 1);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (timing)
			printf("%.3f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		status = answer_status(&out);
		if (want != 0 && status != want) {
			fprintf(stderr, "fcgi_call: request %ld: status %d, not %d\n", i + 1, status, want);
			if (!quiet)
				fwrite(out.p, 1, out.len, stderr);
			return 1;
		}
	}
	if (!quiet && out.len > 0)
		fwrite(out.p, 1, out.len, stdout);
	free(req.p);
	free(body.p);
	free(out.p);
	return 0;
}
