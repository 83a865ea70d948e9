#include "config.h"

#include <string.h>

#include "admin.h"
#include "knockreq.h"

bool
admin_may_read_body(const struct admin_facts *f)
{
	return f->key != NULL && f->key->admin && f->is_delete;
}

void
admin_decide(const struct admin_facts *f, struct admin_decision *d)
{
	const struct knock_body *b = f->body;

	memset(d, 0, sizeof(*d));
	if (f->key == NULL) {
		d->verdict = ADMIN_BAD_KEY;
		return;
	}
	if (!f->key->admin) {
		d->verdict = ADMIN_FORBIDDEN;
		return;
	}
	if (!f->is_delete) {
		d->verdict = ADMIN_LIST;
		return;
	}
	if (b == NULL) {
		d->verdict = ADMIN_BAD_BODY;
		d->body_status = ADMINREQ_EMPTY;
		return;
	}
	switch (b->state) {
	case KNOCK_BODY_TOO_LARGE:
		d->verdict = ADMIN_TOO_LARGE;
		return;
	case KNOCK_BODY_BAD_LENGTH:
	case KNOCK_BODY_UNREADABLE:
		d->verdict = ADMIN_UNREADABLE;
		return;
	case KNOCK_BODY_OK:
		break;
	}
	if (b->len > 0 && !knockreq_is_json_type(f->content_type)) {
		d->verdict = ADMIN_NOT_JSON;
		return;
	}
	d->body_status = adminreq_parse(b->buf, b->len, &d->req);
	d->verdict = d->body_status == ADMINREQ_OK ? ADMIN_REVOKE : ADMIN_BAD_BODY;
}
