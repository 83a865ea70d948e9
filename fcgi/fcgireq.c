#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fcgireq.h"

enum repeat { FIRST_WINS, AMBIGUOUS };

struct param {
	const char	*name;
	size_t		 len;		/* strlen(name), computed at compile time */
	size_t		 offset;	/* of the const char * in struct request */
	enum repeat	 repeat;	/* what a repeated name means */
};

#define P(name, field) { name, sizeof(name) - 1, offsetof(struct request, field), FIRST_WINS }
#define PA(name, field) { name, sizeof(name) - 1, offsetof(struct request, field), AMBIGUOUS }
/* Grouped by name length: a parameter is compared only with the names of
   its own length (this runs for every parameter of every request). */
static const struct param params[] = {
	P("PATH_INFO", path_info),
	P("HTTP_HOST", host),
	P("SCRIPT_NAME", script_name),
	P("REQUEST_URI", request_uri),
	P("REMOTE_ADDR", remote_addr),
	P("DOCUMENT_URI", document_uri),
	P("CONTENT_TYPE", content_type),
	P("REQUEST_METHOD", method),
	PA("HTTP_X_API_KEY", api_key),
	P("CONTENT_LENGTH", content_length),
	PA("HTTP_X_ORIGINAL_URI", x_original_uri),
	PA("HTTP_X_FORWARDED_FOR", x_forwarded_for),
	PA("HTTP_X_FORWARDED_URI", x_forwarded_uri),
	PA("HTTP_X_FORWARDED_HOST", x_forwarded_host),
};
#undef P
#undef PA
#define NPARAMS (sizeof(params) / sizeof(params[0]))
#define MAX_NAME_LEN 21

/* params[first[len]] .. params[first[len + 1] - 1] have names of length len
   (kept in step with the table above; test_fcgireq checks every name). */
static const unsigned char first[MAX_NAME_LEN + 2] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0..8 */
	0,				/* 9: PATH_INFO, HTTP_HOST */
	2, 2,				/* 10; 11: SCRIPT_NAME, REQUEST_URI, REMOTE_ADDR */
	5,				/* 12: DOCUMENT_URI, CONTENT_TYPE */
	7, 7,				/* 13; 14: REQUEST_METHOD, HTTP_X_API_KEY, CONTENT_LENGTH */
	10, 10, 10, 10, 10,		/* 15..18; 19: HTTP_X_ORIGINAL_URI */
	11,				/* 20: HTTP_X_FORWARDED_FOR, HTTP_X_FORWARDED_URI */
	13,				/* 21: HTTP_X_FORWARDED_HOST */
	14				/* end */
};

void
fcgireq_from_env(const char *const *envp, struct request *req)
{
	const char *role = NULL, *apache_role = NULL;
	bool ambiguous[NPARAMS] = { false };
	size_t i;

	memset(req, 0, sizeof(*req));
	for (; envp != NULL && *envp != NULL; envp++) {
		const char *kv = *envp, *eq = strchr(kv, '=');
		size_t len;

		if (eq == NULL)
			continue;
		len = (size_t)(eq - kv);
		if (len == 9 && memcmp(kv, "FCGI_ROLE", 9) == 0) {
			if (role == NULL)
				role = eq + 1;
			continue;
		}
		if (len == 16 && memcmp(kv, "FCGI_APACHE_ROLE", 16) == 0) {
			if (apache_role == NULL)
				apache_role = eq + 1;
			continue;
		}
		if (len > MAX_NAME_LEN)
			continue;
		for (i = first[len]; i < first[len + 1]; i++) {
			const char **slot;

			if (memcmp(kv, params[i].name, len) != 0)
				continue;
			slot = (const char **)(void *)((char *)req + params[i].offset);
			if (*slot == NULL && !ambiguous[i])
				*slot = eq + 1;
			else if (params[i].repeat == AMBIGUOUS) {
				*slot = NULL;
				ambiguous[i] = true;
			}
			break;
		}
	}
	req->role = (role != NULL && strcmp(role, "AUTHORIZER") == 0) || apache_role != NULL ?
	    APP_ROLE_AUTHORIZER : APP_ROLE_RESPONDER;
}

size_t
fcgireq_format(const struct response *resp, char *buf, size_t size)
{
	size_t used = 0, i;
	int n;

#define EMIT(...) do {								\
		n = snprintf(buf + used, size - used, __VA_ARGS__);		\
		if (n < 0 || (size_t)n >= size - used)				\
			return 0;						\
		used += (size_t)n;						\
	} while (0)

	EMIT("Status: %d %s\r\n", resp->status, app_status_text(resp->status));
	for (i = 0; i < resp->nheaders; i++)
		EMIT("%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
	if (resp->content_type != NULL) {
		EMIT("Content-Type: %s\r\n", resp->content_type);
		EMIT("Content-Length: %zu\r\n", resp->body_len);
		EMIT("Cache-Control: no-store\r\n");
	}
	EMIT("\r\n");
#undef EMIT
	if (resp->content_type != NULL && resp->body_len > 0 && resp->long_body == NULL) {
		if (resp->body_len > size - used)
			return 0;
		memcpy(buf + used, resp->body, resp->body_len);
		used += resp->body_len;
	}
	return used;
}
