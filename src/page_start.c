/* page_start.c - starting a petition: the form, drafts, live preview and
 * submission for moderation. */
#include "page.h"

void
page_start_show(struct request *r)
{
	page_begin(r);
	page_error(r, 404, "err_not_found");
}

void
page_start_post(struct request *r)
{
	page_start_show(r);
}

void
page_preview(struct request *r)
{
	page_start_show(r);
}

void
page_edit_show(struct request *r)
{
	page_start_show(r);
}

void
page_edit_post(struct request *r)
{
	page_start_show(r);
}
