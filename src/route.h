/* route.h - method and path to handler. */
#ifndef HOLOS_ROUTE_H
#define HOLOS_ROUTE_H

#include "http.h"

enum route {
	ROUTE_HOME,
	ROUTE_HEALTHZ,
	ROUTE_STATIC,
	ROUTE_PETITION,
	ROUTE_PETITION_JSON,
	ROUTE_SIGN,
	ROUTE_THANKS,
	ROUTE_METRICS,
	ROUTE_CONFIRM,
	ROUTE_CONFIRM_POST,
	ROUTE_UNSUBSCRIBE,
	ROUTE_UNSUBSCRIBE_POST,
	ROUTE_LOGIN,
	ROUTE_LOGIN_POST,
	ROUTE_LOGOUT,
	ROUTE_ADMIN,
	ROUTE_ADMIN_PETITION,
	ROUTE_ADMIN_INVALIDATE,
	ROUTE_ADMIN_MODERATE,
	ROUTE_SIGNUP,
	ROUTE_SIGNUP_POST,
	ROUTE_VERIFY,
	ROUTE_VERIFY_POST,
	ROUTE_VERIFY_RESEND,
	ROUTE_RESET,
	ROUTE_RESET_POST,
	ROUTE_RESET_TOKEN,
	ROUTE_RESET_TOKEN_POST,
	ROUTE_START,
	ROUTE_START_POST,
	ROUTE_PREVIEW,
	ROUTE_EDIT,
	ROUTE_EDIT_POST,
	ROUTE_ME,
	ROUTE_ME_PETITION,
	ROUTE_ME_CSV,
	ROUTE_ME_UPDATE,
	ROUTE_ME_STATE,
	ROUTE__MAX
};

/* Finds the route for r's method and path, fills r->slug / r->rest and runs
 * its handler, which fills r's reply. Unknown paths get 404, a known path
 * with another method 405 with Allow, an over-long body 413. Never fails:
 * errors become error pages. */
void route_dispatch(struct request *r);

/* The route's name for metrics ("petition", "sign", …); "none" for
 * ROUTE__MAX. */
const char *route_name(int route);

#endif
