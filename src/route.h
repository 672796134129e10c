/* route.h - method and path to handler. */
#ifndef HOLOS_ROUTE_H
#define HOLOS_ROUTE_H

#include "http.h"

/* How a route's handler refuses a request forged by another site. */
enum route_csrf {
	ROUTE_CSRF_NONE, /* a GET: it changes nothing */
	ROUTE_CSRF_FORM, /* the form's token, by page_csrf_check() */
	/* The emailed secret in the path is the whole authority: one-click
	 * unsubscribe (RFC 8058), which mail providers POST without any
	 * form or token. */
	ROUTE_CSRF_LINK,
	ROUTE_CSRF__MAX
};

/* Every route, in the order the router tries them:
 * X(ID, name, method, match, prefix, suffix, handler, csrf)
 * ID names ROUTE_ID; name labels it in metrics; method is GET (which also
 * answers HEAD) or POST; match is EXACT (the path is prefix), PREFIX
 * (prefix, then anything: r->rest), SLUG (prefix, a slug: r->slug, then
 * suffix exactly) or TOKEN (prefix, then an emailed token: r->token); csrf
 * says how the handler refuses a forged request (enum route_csrf). The
 * enum, the router's table and the end-to-end CSRF test
 * (tests/e2e/e2e_csrf.c) are all made from this one list. */
/* clang-format off */
#define ROUTE_LIST(X)                                                          \
X(HOME, "home", GET, EXACT, "/", NULL, page_home, NONE)                        \
X(HEALTHZ, "healthz", GET, EXACT, "/healthz", NULL, page_healthz, NONE)        \
X(STATIC, "static", GET, PREFIX, "/static/", NULL, page_static, NONE)          \
X(PETITION, "petition", GET, SLUG, "/p/", "", page_petition_show, NONE)        \
X(PETITION_JSON, "petition_json", GET, SLUG, "/p/", ".json",                   \
    page_petition_json, NONE)                                                  \
X(SIGN, "sign", POST, SLUG, "/p/", "/sign", page_petition_sign, FORM)          \
X(THANKS, "thanks", GET, SLUG, "/p/", "/thanks", page_petition_thanks, NONE)   \
X(POW, "pow", GET, SLUG, "/p/", "/pow", page_petition_pow, NONE)               \
X(METRICS, "metrics", GET, EXACT, "/metrics", NULL, page_metrics, NONE)        \
X(CONFIRM, "confirm", GET, TOKEN, "/c/", NULL, page_confirm_show, NONE)        \
X(CONFIRM_POST, "confirm_post", POST, TOKEN, "/c/", NULL, page_confirm_post,   \
    FORM)                                                                      \
X(UNSUBSCRIBE, "unsubscribe", GET, TOKEN, "/u/", NULL, page_unsubscribe_show,  \
    NONE)                                                                      \
X(UNSUBSCRIBE_POST, "unsubscribe_post", POST, TOKEN, "/u/", NULL,              \
    page_unsubscribe_post, LINK)                                               \
X(LOGIN, "login", GET, EXACT, "/login", NULL, page_login_show, NONE)           \
X(LOGIN_POST, "login_post", POST, EXACT, "/login", NULL, page_login_post,      \
    FORM)                                                                      \
X(LOGOUT, "logout", POST, EXACT, "/logout", NULL, page_logout, FORM)           \
X(ADMIN, "admin", GET, EXACT, "/admin", NULL, page_admin, NONE)                \
X(ADMIN_PETITION, "admin_petition", GET, SLUG, "/admin/p/", "",                \
    page_admin_petition, NONE)                                                 \
X(ADMIN_INVALIDATE, "admin_invalidate", POST, SLUG, "/admin/p/",               \
    "/invalidate", page_admin_invalidate, FORM)                                \
X(ADMIN_MODERATE, "admin_moderate", POST, SLUG, "/admin/p/", "/moderate",      \
    page_admin_moderate, FORM)                                                 \
X(SIGNUP, "signup", GET, EXACT, "/signup", NULL, page_signup_show, NONE)       \
X(SIGNUP_POST, "signup_post", POST, EXACT, "/signup", NULL, page_signup_post,  \
    FORM)                                                                      \
X(VERIFY, "verify", GET, TOKEN, "/verify/", NULL, page_verify_show, NONE)      \
X(VERIFY_POST, "verify_post", POST, TOKEN, "/verify/", NULL, page_verify_post, \
    FORM)                                                                      \
X(VERIFY_RESEND, "verify_resend", POST, EXACT, "/verify", NULL,                \
    page_verify_resend, FORM)                                                  \
X(RESET, "reset", GET, EXACT, "/reset", NULL, page_reset_show, NONE)           \
X(RESET_POST, "reset_post", POST, EXACT, "/reset", NULL, page_reset_post,      \
    FORM)                                                                      \
X(RESET_TOKEN, "reset_token", GET, TOKEN, "/reset/", NULL,                     \
    page_reset_token_show, NONE)                                               \
X(RESET_TOKEN_POST, "reset_token_post", POST, TOKEN, "/reset/", NULL,          \
    page_reset_token_post, FORM)                                               \
X(START, "start", GET, EXACT, "/start", NULL, page_start_show, NONE)           \
X(START_POST, "start_post", POST, EXACT, "/start", NULL, page_start_post,      \
    FORM)                                                                      \
X(PREVIEW, "preview", POST, EXACT, "/preview", NULL, page_preview, FORM)       \
X(EDIT, "edit", GET, SLUG, "/me/p/", "/edit", page_edit_show, NONE)            \
X(EDIT_POST, "edit_post", POST, SLUG, "/me/p/", "/edit", page_edit_post, FORM) \
X(ME, "me", GET, EXACT, "/me", NULL, page_me, NONE)                            \
X(ME_PETITION, "me_petition", GET, SLUG, "/me/p/", "", page_me_petition, NONE) \
X(ME_CSV, "me_csv", GET, SLUG, "/me/p/", "/signers.csv", page_me_csv, NONE)    \
X(ME_UPDATE, "me_update", POST, SLUG, "/me/p/", "/update", page_me_update,     \
    FORM)                                                                      \
X(ME_STATE, "me_state", POST, SLUG, "/me/p/", "/state", page_me_state, FORM) \
/* spread: the share image, QR codes */                                       \
X(SHARE_PNG, "share_png", GET, SLUG, "/p/", "/share.png", page_share_png,      \
    NONE)                                                                      \
X(QR_SVG, "qr_svg", GET, SLUG, "/p/", "/qr.svg", page_qr_svg, NONE)            \
X(QR_PNG, "qr_png", GET, SLUG, "/p/", "/qr.png", page_qr_png, NONE)            \
/* find: search, listings, the open API, feeds */                              \
X(SEARCH, "search", GET, EXACT, "/search", NULL, page_search, NONE)            \
/* spread: the petition image */                                              \
X(ME_IMAGE, "me_image", POST, SLUG, "/me/p/", "/image", page_image_upload,     \
    FORM)                                                                      \
X(IMAGE_WEBP, "image_webp", GET, SLUG, "/p/", "/image.webp", page_image_webp,  \
    NONE)                                                                      \
X(IMAGE_JPG, "image_jpg", GET, SLUG, "/p/", "/image.jpg", page_image_jpg,     \
    NONE)                                                                      \
/* find (continued) */                                                         \
X(PETITIONS, "petitions", GET, EXACT, "/petitions", NULL, page_petitions, NONE) \
/* spread: the embeddable widget and the count badge */                       \
X(EMBED, "embed", GET, SLUG, "/p/", "/embed", page_embed, NONE)                \
X(BADGE_SVG, "badge_svg", GET, SLUG, "/p/", "/badge.svg", page_badge_svg, NONE) \
/* find: the open API */                                                       \
X(API_PETITIONS, "api_petitions", GET, EXACT, "/api/v1/petitions", NULL,        \
    page_api_petitions, NONE)                                                  \
X(API_PETITION, "api_petition", GET, SLUG, "/api/v1/petitions/", "",           \
    page_api_petition, NONE)                                                   \
X(API_SIGNATURES, "api_signatures", GET, SLUG, "/api/v1/petitions/",           \
    "/signatures", page_api_signatures, NONE)                                  \
X(API_STATS, "api_stats", GET, EXACT, "/api/v1/stats", NULL, page_api_stats,   \
    NONE)                                                                      \
X(API_OPENAPI, "api_openapi", GET, EXACT, "/api/v1/openapi.json", NULL,        \
    page_api_openapi, NONE)                                                    \
/* log: the verifiable log's API (docs/transparency.md) */                    \
X(LOG_KEY, "log_key", GET, EXACT, "/log/key", NULL, page_log_key, NONE)        \
X(LOG_STH, "log_sth", GET, SLUG, "/p/", "/log/get-sth", page_log_sth, NONE)    \
X(LOG_CONSISTENCY, "log_consistency", GET, SLUG, "/p/",                        \
    "/log/get-sth-consistency", page_log_consistency, NONE)                    \
X(LOG_PROOF, "log_proof", GET, SLUG, "/p/", "/log/get-proof-by-hash",          \
    page_log_proof, NONE)                                                      \
X(LOG_ENTRIES, "log_entries", GET, SLUG, "/p/", "/log/get-entries",            \
    page_log_entries, NONE)                                                    \
X(LOG_VERIFY, "log_verify", GET, SLUG, "/p/", "/verify", page_petition_verify, \
    NONE)                                                                      \
/* live count */                                                               \
X(EVENTS, "events", GET, SLUG, "/p/", "/events", page_petition_events, NONE)   \
/* find: for search engines and feed readers */                                \
X(ROBOTS, "robots", GET, EXACT, "/robots.txt", NULL, page_robots, NONE)        \
X(SITEMAP, "sitemap", GET, EXACT, "/sitemap.xml", NULL, page_sitemap, NONE)    \
X(FEED, "feed", GET, EXACT, "/feed.atom", NULL, page_feed, NONE)               \
X(PETITION_FEED, "petition_feed", GET, SLUG, "/p/", "/feed.atom",              \
    page_petition_feed, NONE)                                                  \
/* Privacy: a signer withdraws with the link of the confirmation mail. */      \
X(WITHDRAW, "withdraw", GET, TOKEN, "/w/", NULL, page_withdraw_show, NONE)     \
X(WITHDRAW_POST, "withdraw_post", POST, TOKEN, "/w/", NULL,                    \
    page_withdraw_post, FORM)                                                  \
X(PRIVACY, "privacy", GET, EXACT, "/privacy", NULL, page_privacy, NONE)        \
/* Delivery: the pack, addressees, responses, paper signatures. */            \
X(DELIVER_PDF, "deliver_pdf", GET, SLUG, "/me/p/", "/delivery.pdf",            \
    page_deliver_pdf, NONE)                                                    \
X(DELIVER_ADDRESSEES, "deliver_addressees", POST, SLUG, "/me/p/",              \
    "/addressees", page_deliver_addressees, FORM)                              \
X(DELIVER_NOW, "deliver_now", POST, SLUG, "/me/p/", "/deliver",                \
    page_deliver_now, FORM)                                                    \
X(DELIVER_LINK_PDF, "deliver_link_pdf", GET, TOKEN, "/d/", NULL,               \
    page_deliver_link_pdf, NONE)                                               \
X(RESPONSE, "response", GET, TOKEN, "/r/", NULL, page_response_show, NONE)     \
X(RESPONSE_POST, "response_post", POST, TOKEN, "/r/", NULL,                   \
    page_response_post, FORM)                                                  \
X(RESPONSES, "responses", GET, SLUG, "/admin/p/", "/responses",                \
    page_responses_show, NONE)                                                 \
X(RESPONSES_POST, "responses_post", POST, SLUG, "/admin/p/", "/responses",     \
    page_responses_decide, FORM)                                               \
/* report: notice and action (docs/report.md) */                               \
X(REPORT, "report", GET, SLUG, "/p/", "/report", page_report_show, NONE)       \
X(REPORT_POST, "report_post", POST, SLUG, "/p/", "/report", page_report_post,  \
    FORM)                                                                      \
X(REPORTS, "reports", GET, EXACT, "/admin/reports", NULL, page_reports_show,   \
    NONE)                                                                      \
X(REPORTS_POST, "reports_post", POST, EXACT, "/admin/reports", NULL,           \
    page_reports_resolve, FORM)                                                \
/* export: a petition's counted signatures for its starter and moderators */  \
X(EXPORT_CSV, "export_csv", GET, SLUG, "/me/p/", "/export.csv",                \
    page_export_csv, NONE)                                                     \
X(EXPORT_JSON, "export_json", GET, SLUG, "/me/p/", "/export.json",             \
    page_export_json, NONE)                                                    \
/* Social proof: a comment's like, hiding, the moderators' list. */            \
X(COMMENT_LIKE, "comment_like", POST, SLUG, "/p/", "/like",                    \
    page_comment_like, FORM)                                                   \
X(COMMENT_HIDE, "comment_hide", POST, SLUG, "/me/p/", "/comments",             \
    page_comment_hide, FORM)                                                   \
X(ADMIN_COMMENTS, "admin_comments", GET, SLUG, "/admin/p/", "/comments",       \
    page_admin_comments, NONE)                                                 \
/* keys: a signer asks for their data by mail */                              \
X(MYDATA, "mydata", GET, EXACT, "/privacy/data", NULL, page_mydata_show, NONE) \
X(MYDATA_POST, "mydata_post", POST, EXACT, "/privacy/data", NULL,             \
    page_mydata_post, FORM)                                                    \
/* export: signatures on paper */                                              \
X(PAPER, "paper", GET, SLUG, "/me/p/", "/paper", page_paper_show, NONE)        \
X(PAPER_ADD, "paper_add", POST, SLUG, "/me/p/", "/paper", page_paper_add,      \
    FORM)                                                                      \
X(PAPER_REMOVE, "paper_remove", POST, SLUG, "/me/p/", "/paper/remove",         \
    page_paper_remove, FORM)                                                   \
/* guard: mailed sign-in links */                                              \
X(SIGNIN_LINK, "signin_link", GET, EXACT, "/login/link", NULL,                 \
    page_signin_link_show, NONE)                                               \
X(SIGNIN_LINK_POST, "signin_link_post", POST, EXACT, "/login/link", NULL,      \
    page_signin_link_post, FORM)                                               \
X(SIGNIN_TOKEN, "signin_token", GET, TOKEN, "/login/link/", NULL,              \
    page_signin_token_show, NONE)                                              \
X(SIGNIN_TOKEN_POST, "signin_token_post", POST, TOKEN, "/login/link/", NULL,   \
    page_signin_token_post, FORM)                                              \
/* guard: the second factor */                                                 \
X(TOTP_LOGIN, "totp_login", GET, EXACT, "/login/2fa", NULL,                    \
    page_totp_login_show, NONE)                                                \
X(TOTP_LOGIN_POST, "totp_login_post", POST, EXACT, "/login/2fa", NULL,         \
    page_totp_login_post, FORM)                                                \
X(TOTP_SETUP, "totp_setup", GET, EXACT, "/me/2fa", NULL, page_totp_setup_show, \
    NONE)                                                                      \
X(TOTP_SETUP_POST, "totp_setup_post", POST, EXACT, "/me/2fa", NULL,            \
    page_totp_setup_post, FORM)                                                \
/* paper: a batch's scanned file, for its starter and moderators */            \
X(PAPER_SCAN, "paper_scan", GET, SLUG, "/me/p/", "/paper/scan",                \
    page_paper_scan, NONE)
/* clang-format on */

#define ROUTE_ENUM(id, name, method, match, prefix, suffix, handler, csrf) \
	ROUTE_##id,
enum route { ROUTE_LIST(ROUTE_ENUM) ROUTE__MAX };
#undef ROUTE_ENUM

/* Finds the route for r's method and path, fills r->slug / r->rest and runs
 * its handler, which fills r's reply. Unknown paths get 404, a known path
 * with another method 405 with Allow, an over-long body 413. Never fails:
 * errors become error pages. */
void route_dispatch(struct request *r);

/* The largest body a request for path may send: max_body (--max-body), or
 * more for the routes that take an upload (the petition image, a paper
 * batch's scan). */
size_t route_body_max(enum http_method method, const char *path,
    size_t max_body);

/* The route's name for metrics ("petition", "sign", …); "none" for
 * ROUTE__MAX. */
const char *route_name(int route);

#endif
