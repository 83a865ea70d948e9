/*
 * The floor for any FastCGI authorizer: answers every request with
 * "Status: 200" and nothing else. Used by bench/run for comparison.
 *
 *   trivial_authz           finishes each request with FCGX_Finish_r alone:
 *                           libfcgi then shuts the connection down and
 *                           waits (poll, read until EOF) for the web server
 *                           to close its side before close().
 *   trivial_authz -d        "tuned": FCGX_Detach before FCGX_Finish_r, so
 *                           libfcgi closes the socket at once (the answer and
 *                           END_REQUEST are flushed first either way).
 */
#include "config.h"

#include <string.h>

#define NO_FCGI_DEFINES
#include <fcgiapp.h>

int
main(int argc, char **argv)
{
	FCGX_Request req;
	int detach = argc > 1 && strcmp(argv[1], "-d") == 0;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutS("Status: 200 OK\r\n\r\n", req.out);
		if (detach)
			FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	return 0;
}
