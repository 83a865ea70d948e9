/*
 * conf: the knocker configuration (README.md "Configuration").
 * (Named conf, not config, so it cannot clash with autoconf's config.h.)
 *
 * conf_load reads and validates a JSON file. Every problem is reported as
 * "FILE: key.path: problem" in errs (all problems, not just the first);
 * an API key shorter than 16 characters or looking like a placeholder
 * ("@API_KEY@", "<...>", "CHANGE_ME...") is an error. Warnings (file readable
 * by others, a trusted proxy wider than one address) go to warns and do not
 * fail the load.
 * The returned struct owns all its memory; conf_free releases it (key
 * material is wiped with freezero). Nothing in it changes after loading.
 */
#ifndef KNOCKER_CONF_H
#define KNOCKER_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "compiler.h"
#include "errlist.h"
#include "ipmap.h"
#include "log.h"

#define CONF_MAX_TTL 315360000	/* ten years, in seconds */
#define CONF_MAX_FILE_SIZE (1024 * 1024)

struct conf_api_key {
	char	*name;		/* "name" or, if absent, "api_keys[N]"; safe to log */
	char	*key;		/* the secret; never log */
	size_t	 key_len;
	int64_t	 max_ttl;	/* 1 .. CONF_MAX_TTL */
	bool	 allow_remote_whitelist;
	bool	 admin;		/* may use GET/DELETE <prefix>/entries; default false */
};

struct conf_host_paths {
	char	 *host;		/* normalized with host_normalize; "*" = any host */
	char	**paths;
	size_t	  npaths;
};

/* "store": where the whitelist lives (docs/SCALING.md). */
enum conf_store_backend { CONF_STORE_FILE, CONF_STORE_REDIS };

#define CONF_REDIS_PASSWORD_MAX 512

struct conf_store {
	enum conf_store_backend	 backend;	/* default CONF_STORE_FILE */
	/* The rest only for CONF_STORE_REDIS: */
	char			*address;	/* "host:port", "[v6]:port" or "unix:/path";
						   default "127.0.0.1:6379" */
	int64_t			 db;		/* SELECT, default 0 */
	char			*username;	/* ACL user; NULL: the default user */
	char			*password;	/* read from password_file at load; NULL: none;
						   never log; wiped by conf_free */
	char			*password_file;	/* NULL: none */
	char			*prefix;	/* of every key, default "knocker:" */
	int64_t			 timeout_ms;	/* connect and command bound, default 200 */
};

/* --- "firewall": knocker-firewall's section (the web-facing knocker
   validates it but does not use it). ------------------------------------ */
#define CONF_FW_TABLE_MAX 32	/* bytes of a table name, without the NUL */

enum conf_fw_proto { CONF_FW_TCP, CONF_FW_UDP };

struct conf_fw_port {
	uint16_t		 lo, hi;	/* 1..65535, lo <= hi; one port: lo == hi */
	enum conf_fw_proto	 proto;
};

struct conf_firewall {
	bool			 present;	/* the section is in the file */
	char			 table[CONF_FW_TABLE_MAX + 1];	/* [A-Za-z][A-Za-z0-9_]*, default "knocker" */
	struct conf_fw_port	*ports;		/* >= 1 when present; no two overlap */
	size_t			 nports;
	bool			 docker;	/* check in prerouting, before Docker's DNAT */
};

/* Parses one port spec: "22/tcp", "51820/udp", "6000-6010/tcp" (decimal,
   no sign, no leading zero, lo < hi for a range). Returns 0, or -1 with
   *why (a static text) saying what is wrong. */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int conf_fw_port_parse(const char *s, struct conf_fw_port *out, const char **why);

struct conf {
	char			*path;			/* the file it came from */
	struct ipmap		*trusted_proxies;	/* value unused (0); never NULL */
	char			*storage_path;		/* absolute */
	int64_t			 cleanup_interval;	/* seconds, default 60 */
	struct conf_api_key	*keys;
	size_t			 nkeys;			/* >= 1 */
	struct ipmap		*always_allowed;	/* never NULL */
	char			**excluded_paths;
	size_t			 nexcluded;
	struct conf_host_paths	*host_paths;		/* excluded_paths_by_host */
	size_t			 nhost_paths;
	int64_t			 max_entries;		/* default 10000 */
	int64_t			 rl_window;		/* seconds, default 60 */
	int64_t			 rl_success;		/* default 20; 0 disables */
	int64_t			 rl_failure;		/* default 30; 0 disables */
	int64_t			 rl_ipv4_prefix;	/* clients counted per /n, default 32 */
	int64_t			 rl_ipv6_prefix;	/* default 64 */
	char			*cors_origin;		/* default "*" */
	char			*log_target;		/* "stderr", "syslog" or an absolute path */
	enum log_level		 log_level;
	struct conf_store	 store;
	struct conf_firewall	 firewall;		/* knocker-firewall only */
	struct ipmap		*metrics_allowed;	/* GET /metrics clients; never NULL;
							   default 127.0.0.1, ::1 */
};

/* Reads and validates path. Returns a new conf, or NULL with at least one
   message in errs. warns may be NULL. */
struct conf *conf_load(const char *path, struct errlist *errs, struct errlist *warns);

/* As conf_load; *hash (hash may be NULL) receives a 64-bit hash of the
   bytes read, also when they did not validate, or 0 when the file could
   not be read. Equal hashes: the same text (a reload tells a rewrite with
   the same content from a change). */
struct conf *conf_load_hash(const char *path, struct errlist *errs, struct errlist *warns,
    uint64_t *hash);

/* Validates a JSON text already in memory; name is used in messages.
   Touches the file system only to read store.password_file (no permission
   warning for the config itself). */
struct conf *conf_parse(const char *json, size_t len, const char *name,
    struct errlist *errs, struct errlist *warns);

void conf_free(struct conf *c);

#endif
