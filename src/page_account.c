/* page_account.c - sign-up with email verification and password reset. */
#include "page.h"

void
page_signup_show(struct request *r)
{
	page_begin(r);
	page_error(r, 404, "err_not_found");
}

void
page_signup_post(struct request *r)
{
	page_signup_show(r);
}

void
page_verify_show(struct request *r)
{
	page_signup_show(r);
}

void
page_verify_post(struct request *r)
{
	page_signup_show(r);
}

void
page_verify_resend(struct request *r)
{
	page_signup_show(r);
}

void
page_reset_show(struct request *r)
{
	page_signup_show(r);
}

void
page_reset_post(struct request *r)
{
	page_signup_show(r);
}

void
page_reset_token_show(struct request *r)
{
	page_signup_show(r);
}

void
page_reset_token_post(struct request *r)
{
	page_signup_show(r);
}
