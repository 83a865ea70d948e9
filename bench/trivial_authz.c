/*
 * The floor for any FastCGI authorizer: answers every request with
 * "Status: 200" and nothing else. Used by bench/run for comparison.
 */
#include <stdlib.h>

#define NO_FCGI_DEFINES
#include <fcgiapp.h>

int
main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutS("Status: 200 OK\r\n\r\n", req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
