/* page_me.c - the starter's dashboard: their petitions, figures, chart,
 * signers' CSV, updates and the starter's own transitions. */
#include "page.h"

void
page_me(struct request *r)
{
	page_begin(r);
	page_error(r, 404, "err_not_found");
}

void
page_me_petition(struct request *r)
{
	page_me(r);
}

void
page_me_csv(struct request *r)
{
	page_me(r);
}

void
page_me_update(struct request *r)
{
	page_me(r);
}

void
page_me_state(struct request *r)
{
	page_me(r);
}
