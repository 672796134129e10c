/* page.h - what every page shares: the language, the CSRF check, the common
 * template context and error pages; and the handlers of each page family
 * (page_*.c). The site's settings are in site.h. */
#ifndef HOLOS_PAGE_H
#define HOLOS_PAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "catalog.h"
#include "export.h"
#include "form.h"
#include "http.h"
#include "site.h"
#include "store.h"
#include "tmpl.h"

/* Negotiates the language (and stores a ?lang= choice in a cookie).
 * Handlers of HTML pages call it first. */
void page_begin(struct request *r);

/* A new template context with the keys every page has (lang, t, site,
 * langs, page.url, static_version). Caller owns it (json_decref). */
json_t *page_context(struct request *r, const char *title);

/* The header's account link for r: "My petitions" (/me) to a visitor who
 * has a session cookie, "Sign in" (/login) to anyone else. Strings from
 * the catalogue or static. */
void page_account_link(struct request *r, const char **href, const char **label);

/* Renders template name with ctx (consumed) as the reply with status.
 * A render failure becomes a 500 page. */
void page_render(struct request *r, int status, const char *name, json_t *ctx);

struct signq_item;

/* Hands it to the write queue and parks r until the writer is done with
 * it; the handler then runs again with r->job == it. Returns 0, or -1 when
 * the queue is full: nothing was queued and r is not parked (answer 503). */
int page_submit(struct request *r, struct signq_item *it);

/* Applies the rate limits to a state-changing request (petition_id 0 for
 * none). Returns 0 when allowed; otherwise replies 429 with Retry-After and
 * a page in the reader's language, and returns -1. */
int page_rate_check(struct request *r, int64_t petition_id);

/* Replies 429 with Retry-After: wait seconds (at least 1) and the error
 * page of message_key (a catalogue key): a rate limit's refusal. */
void page_rate_refused(struct request *r, int wait, const char *message_key);

/* True when the body is declared application/x-www-form-urlencoded (the
 * only form encoding holos reads). */
bool page_form_encoded(struct request *r);

/* Parses r's urlencoded body against spec into v (strings in r's arena).
 * Returns how many fields are bad (see v[i].err), or -1 after replying:
 * 415 for another encoding, 500 when out of memory. */
int page_form_read(struct request *r, const struct form_spec *spec, size_t n,
    struct form_value *v);

struct upload;

/* Reads a form that carries a file, into v and u as upload_init() set u
 * up: multipart/form-data with upload_read(), or, sent without its file,
 * urlencoded with page_form_read(). Returns how many fields are bad, or
 * -1 after replying: 400 with malformed_key for a broken multipart body
 * (logged under module), otherwise as page_form_read(). */
int page_upload_read(struct request *r, struct upload *u, struct form_value *v,
    const char *module, const char *malformed_key);

/* An error page in the reader's language: message is a catalogue key. */
void page_error(struct request *r, int status, const char *message_key);

/* The same with a message already in the reader's language. */
void page_error_text(struct request *r, int status, const char *message);

/* Sets form's "error_summary" to the catalogue's key with n = nerr (the
 * count of fields in error), "" when it cannot be formatted. */
void page_error_summary(struct request *r, json_t *form, const char *key,
    size_t nerr);

/* A page of a heading, a few paragraphs and links (account.html,
 * totp.html): appends the paragraph s to m's array "paras", or a link to
 * url, its text the catalogue's key, to m's array "links". */
void page_para_add(json_t *m, const char *s);
void page_link_add(struct request *r, json_t *m, const char *url,
    const char *key);

/* Replies with obj (consumed) as JSON. */
void page_json(struct request *r, int status, json_t *obj);

/* Appends the absolute URL of path (which starts with '/'). */
const char *page_url(struct request *r, const char *path);

/* page_home.c */
void page_home(struct request *r);
void page_healthz(struct request *r);
/* /petitions?sort=trending|signatures|newest|victory&state=open|closed|
 * victory&lang=CODE&page=N: a page of the catalogue (catalog.c); a value
 * not in these lists is a 400. */
void page_petitions(struct request *r);

/* The card of petition p in a list (title, addressees when p has them,
 * count line, progress, state), its count read from counts.c into
 * p->count. Caller owns it; NULL when the count cannot be had. */
json_t *page_card(struct request *r, struct petition *p);

/* Sets ctx's "pager" (the page's line, prev_url and next_url, made of base
 * then "page=N") when total results of per_page make more than one page. */
void page_pager(struct request *r, json_t *ctx, int page, int64_t total,
    int per_page, const char *base);

/* s percent-encoded for a query string, in r's arena ("" when out of
 * memory). */
const char *page_urlenc(struct request *r, const char *s);

/* The page number ?page= gives: 1 when absent, -1 when it is not a number
 * from 1 to max. */
int page_number(const char *s, long max);

/* A listing's ?sort=, ?state= (open, closed or victory) and ?lang= (a
 * language of the site) into *sort and *f, which keep what they hold for
 * one absent or empty. Returns 0, or -1 after replying 400. */
int page_list_params(struct request *r, enum catalog_sort *sort,
    struct catalog_filter *f);

/* page_api.c: /api/v1/ (docs/api.md) */
void page_api_petitions(struct request *r);
void page_api_petition(struct request *r);
void page_api_signatures(struct request *r);
void page_api_stats(struct request *r);
void page_api_openapi(struct request *r);

/* page_feed.c: robots.txt, sitemap.xml, Atom feeds */
void page_robots(struct request *r);
void page_sitemap(struct request *r);
void page_feed(struct request *r);
void page_petition_feed(struct request *r);

/* page_search.c */
/* Longest query read, in bytes; a longer one is refused (400). */
#define PAGE_SEARCH_MAX 1024
void page_search(struct request *r);

struct search_query;

/* Searches for q, a search's words (at most PAGE_SEARCH_MAX bytes), parsed
 * into sq: page (from 1) of per_page results into ps[n] (r's arena), and
 * *total of them in all. Returns 1, 0 when q holds no word to look for,
 * or -1 after replying 400 (too long, not a query), 503 or 500. */
int page_search_run(struct request *r, const char *q, struct search_query *sq,
    int page, int per_page, struct petition **ps, size_t *n, int64_t *total);

/* page_login.c */
void page_login_show(struct request *r);
void page_login_post(struct request *r);
void page_logout(struct request *r);

/* page_admin.c */
void page_admin(struct request *r);
void page_admin_petition(struct request *r);
void page_admin_invalidate(struct request *r);
void page_admin_moderate(struct request *r);
/* Whether s is a moderation reason's code (mod_reason_<code>), or empty. */
bool page_mod_reason_ok(const char *s, size_t len);
/* The moderation reasons as [{code, label}] in r's language, for a
 * select; a new reference. */
json_t *page_mod_reasons(struct request *r);
/* Tells p's starter by mail that a moderator hid p (reason: a moderation
 * reason's code; note shown to them). A failure is logged. */
void page_admin_hidden_mail(struct request *r, const struct petition *p,
    const char *reason, const char *note);

/* page_report.c: notice and action (docs/report.md). /p/SLUG/report
 * (?comment=ID for a comment): the form and its POST; /admin/reports: the
 * moderators' queue and its decisions. */
void page_report_show(struct request *r);
void page_report_post(struct request *r);
void page_reports_show(struct request *r);
void page_reports_resolve(struct request *r);

/* page_account.c */
void page_signup_show(struct request *r);
void page_signup_post(struct request *r);
void page_verify_show(struct request *r);
void page_verify_post(struct request *r);
void page_verify_resend(struct request *r);
void page_reset_show(struct request *r);
void page_reset_post(struct request *r);
void page_reset_token_show(struct request *r);
void page_reset_token_post(struct request *r);
/* guard: mailed sign-in links (page_account.c). */
void page_signin_link_show(struct request *r);
void page_signin_link_post(struct request *r);
void page_signin_token_show(struct request *r);
void page_signin_token_post(struct request *r);
/* Signs r's browser in as u once its password or mailed link was right
 * (page_login.c): an account with a second factor is sent to /login/2fa
 * first; otherwise a session starts, with the known-account cookie known
 * and 303 to next ("" for u's home page by role). Replies in every case. */
void page_login_done(struct request *r, const struct user *u, const char *known,
    const char *next);
/* The session cookie (its value made by account_session_start()), the
 * known-account cookie and 303 to next: the last step of every sign-in. */
void page_login_grant(struct request *r, const struct user *u,
    const char *cookie, const char *known, const char *next);
/* A redirect target from a form: a path on this site only; "" for none
 * (the user's home page, by role). */
const char *page_safe_next(const char *s, size_t len);
/* guard: the second factor (page_totp.c). */
void page_totp_login_show(struct request *r);
void page_totp_login_post(struct request *r);
void page_totp_setup_show(struct request *r);
void page_totp_setup_post(struct request *r);

/* page_start.c */
void page_start_show(struct request *r);
void page_start_post(struct request *r);
void page_preview(struct request *r);
void page_edit_show(struct request *r);
void page_edit_post(struct request *r);

/* page_me.c */
void page_me(struct request *r);
void page_me_petition(struct request *r);
void page_me_csv(struct request *r);
void page_me_update(struct request *r);
void page_me_state(struct request *r);

/* page_deliver.c */
void page_deliver_pdf(struct request *r);
void page_export_csv(struct request *r);
void page_export_json(struct request *r);
/* Streams p's signatures in export format f (export.h) to u, who may see
 * them (the caller checked), as the download "SLUG-NAME.csv" (or .json):
 * a page of rows at a time as the client reads, at most two at once per
 * process (then 503 with Retry-After). Always replies. */
void page_export_send(struct request *r, const struct petition *p,
    const struct user *u, enum export_format f, const char *name);
/* page_paper.c: signatures on paper */
void page_paper_show(struct request *r);
void page_paper_add(struct request *r);
void page_paper_remove(struct request *r);
void page_paper_scan(struct request *r);
void page_deliver_link_pdf(struct request *r);
void page_response_show(struct request *r);
void page_response_post(struct request *r);
void page_deliver_addressees(struct request *r);
void page_deliver_now(struct request *r);
void page_responses_show(struct request *r);
void page_responses_decide(struct request *r);

/* Replies 503 with Retry-After: the store cannot answer now. */
void page_unavailable(struct request *r);

/* True when st, a store call's status, is STORE_OK; otherwise
 * page_unavailable() and false. */
bool page_store_ok(struct request *r, enum store_status st);

/* Moves p from its state to to, for r's signed-in user uid, with reason and
 * note ("" for none) kept in its history, as lifecycle_move() does, and
 * logs the move under module as action. Returns 0 when moved; -1 after
 * replying: 409 with conflict_key when p left its state meanwhile, 503
 * when the store cannot answer. */
int page_petition_move(struct request *r, const struct petition *p, int64_t uid,
    enum petition_state to, const char *reason, const char *note,
    const char *module, const char *action, const char *conflict_key);

/* Replies for a store operation that failed (st): 503 with Retry-After
 * when the store is unavailable, 500 otherwise. */
void page_store_failed(struct request *r, enum store_status st);

/* Replies 303 See Other to location (Post/Redirect/Get: a reload sends
 * nothing again), not to be cached. */
void page_see_other(struct request *r, const char *location);

/* Loads the petition of r->slug into p (from r's arena) when u may manage
 * it: its starter, a moderator or an admin. Otherwise replies (404, 403 or
 * 503; a refusal logged under module) and returns -1. A moderator or admin
 * acting on a petition they did not start is moderating: with
 * --require-2fa, one without an enrolled second factor is sent to enrol
 * (303 to /me/2fa, as page_require() of ROLE_MODERATOR does). */
int page_petition_managed(struct request *r, const struct user *u,
    struct petition *p, const char *module);

/* The same for what only its starter or an admin may change (its text,
 * image, state); an admin acting on another's petition needs the second
 * factor likewise. */
int page_petition_owned(struct request *r, const struct user *u,
    struct petition *p, const char *module);

/* Shared by the pages of signed-in users (page_login.c sets it). */
#define PAGE_COOKIE_SESSION "holos_session"

/* The signed-in user of r with at least role; otherwise replies (302 to
 * /login?next=PATH for no session, 403 for a lesser role, 503 when the
 * store cannot say) and returns -1. binding (33 bytes) gets the value the
 * session's form tokens are bound to. */
int page_require(struct request *r, enum user_role role, struct user *u,
    char binding[33]);

/* Like page_require(), but a missing session is not an error: returns 1
 * with u untouched and binding "" (for pages that greet anyone). */
int page_session(struct request *r, struct user *u, char binding[33]);

/* Sets the session cookie: HttpOnly, SameSite=Lax, Secure when the base
 * URL is https. */
void page_session_cookie(struct request *r, const char *cookie);

/* A fresh form token for binding, in r's arena ("" when out of memory). */
const char *page_form_token(struct request *r, const char *binding);

/* One view of a page a mailed link opens: its name (the template tests a
 * flag of it) and the page's HTTP status. */
struct page_link_state {
	const char *name;
	int status;
};

/* Renders tmpl for a page a mailed link opens, titled with the text of
 * title_key, with state's status and under key the view's object: "view"
 * and a flag of state's name, the form's "action" (r's path) and "csrf"
 * token, and, when info names a petition, its "title", "title_lang" and
 * "petition_url". The reply is never cached: the link's secret is in its
 * URL (the site-wide Referrer-Policy keeps it from other sites). */
void page_link_render(struct request *r, const char *tmpl, const char *key,
    const char *title_key, const struct page_link_state *state,
    const struct token_info *info);

/* The one CSRF check of every state-changing request (routes marked
 * ROUTE_CSRF_FORM in route.h): the form's token field, as page_form_read()
 * left it, must be one made for binding ("" for forms anyone may post, a
 * session's binding otherwise) no longer than CRYPTO_CSRF_MAX_AGE ago, and
 * the request must not come from another site (its Origin, or without
 * one its Sec-Fetch-Site, names another).
 * Returns true; otherwise replies 403 (err_csrf), logs why and returns
 * false. */
bool page_csrf_check(struct request *r, const struct form_value *token,
    const char *binding);

/* The start of a signed-in user's POST: page_begin(), page_require() of
 * role (u, binding), page_form_read() of spec[n] into v, and
 * page_csrf_check() of v[csrf]. Returns 0, or -1 after replying. */
int page_post_begin(struct request *r, enum user_role role, struct user *u,
    char binding[33], const struct form_spec *spec, size_t n,
    struct form_value *v, size_t csrf);

/* A POST anyone may send: page_form_read() of spec[n] into v,
 * page_csrf_check() of v[csrf] for binding ("" when no session is
 * needed), then page_rate_check() with no petition. Returns how many
 * fields are bad, or -1 after replying. */
int page_form_post(struct request *r, const struct form_spec *spec, size_t n,
    struct form_value *v, size_t csrf, const char *binding);

/* The form token's field, as every form a state-changing request posts
 * declares it: the token page_form_token() made, page_csrf_check()
 * checks. */
/* clang-format off */
#define PAGE_CSRF_FIELD { "csrf", FORM_TOKEN, 128, true, NULL }
/* clang-format on */

/* The form of a lone button: its CSRF token (v[0]) and nothing else. */
extern const struct form_spec page_button_form[1];

/* The form that asks for an address to mail a link to (a password reset,
 * a sign-in link, a signer's data): the address, checked by
 * email_valid(), and the CSRF token. */
enum page_email_field { PAGE_EMAIL, PAGE_EMAIL_CSRF, PAGE_EMAIL__MAX };
extern const struct form_spec page_email_form[PAGE_EMAIL__MAX];

/* The POST of page_email_form into v (page_form_post()), its address
 * normalised (email_normalize(), in r's arena) into *email and *len.
 * Returns 0; 1 when the address is missing or not valid (nothing replied:
 * v[PAGE_EMAIL].err says why when it is not FORM_OK); or -1 after
 * replying. */
int page_email_post(struct request *r, struct form_value v[PAGE_EMAIL__MAX],
    char **email, size_t *len);

/* The POST of a lone button (a confirmation, a withdrawal, a mailed
 * link): page_form_post() of page_button_form. Returns 0, or -1 after
 * replying. */
int page_button_post(struct request *r, const char *binding);

/* "user:ID": how the audit log names the user user_id as the actor of a
 * change, in r's arena (NULL when out of memory). */
const char *page_actor(struct request *r, int64_t user_id);

/* "YYYY-MM-DD HH:MM:SSZ" of t, in r's arena. */
const char *page_iso_time(struct request *r, int64_t t);

/* page_confirm.c */
void page_confirm_show(struct request *r);
void page_confirm_post(struct request *r);
void page_unsubscribe_show(struct request *r);
void page_unsubscribe_post(struct request *r);

/* page_metrics.c */
void page_metrics(struct request *r);

/* page_events.c */
struct events_topic;
struct buf;
/* GET /p/SLUG/events: the petition's live count as Server-Sent Events,
 * the stream handed to events.c once its header is written. */
void page_petition_events(struct request *r);
/* The event of a topic ("data: {count, goal, next_goal, …}\n\n") for
 * events.c. Returns 0, or -1 when the count cannot be had now. */
int page_events_payload(const struct events_topic *t, struct buf *out);
/* page_log.c: the petitions' log API (docs/transparency.md). */
void page_log_key(struct request *r);
void page_log_sth(struct request *r);
void page_log_consistency(struct request *r);
void page_log_proof(struct request *r);
void page_log_entries(struct request *r);
/* The receipt of a signature that has just started to count, for the
 * thanks page that follows (a cookie for that page only, 10 minutes,
 * cleared when shown): leaf_index and the receipt secret. */
/* /p/SLUG/verify: a signer checks a receipt in the browser (verify.js). */
void page_petition_verify(struct request *r);
void page_receipt_set(struct request *r, const char *slug, int64_t leaf_index,
    const unsigned char secret[32]);

/* page_static.c */
/* Reads every file of dir with a known type, then each path of the
 * NULL-terminated list extra (may be NULL), served under its base name
 * (docs/transparency.md as /static/transparency.md). Returns 0, or -1
 * (logged) when one cannot be read: start-up fails rather than serve a
 * link that 404s. */
int page_static_load(const char *dir, const char *const *extra);
void page_static_free(void);
void page_static(struct request *r);

/* page_petition.c */
void page_petition_show(struct request *r);
void page_petition_json(struct request *r);
void page_petition_sign(struct request *r);
void page_petition_thanks(struct request *r);

/* GET /p/SLUG/pow: a fresh single-use proof-of-work challenge for the
 * petition's sign form, as text/plain, never cached. The page itself
 * carries none: static/pow.js asks for one when a reader starts to fill
 * in the form, so the page is the same bytes for every reader. 404 when
 * proofs are off or the petition is unknown. */
void page_petition_pow(struct request *r);

struct pagecache_meta;
/* What the page cache knows of the petition named in the path (its id,
 * goal, state, …), loaded on a miss. Returns 0, or -1 after replying with
 * an error page (404 unknown or not public, 410 hidden, 503). */
int page_petition_meta(struct request *r, struct pagecache_meta *meta);

/* The petition object of the petition page for p (its live values real,
 * its text in the reader's language when translated), for the moderators'
 * preview of a petition as it will appear. Caller owns it. */
json_t *page_petition_preview(struct request *r, struct petition *p);

/* Loads the public petition named by r->slug with its count, its title and
 * text in the reader's language when translated. Returns 0, or -1 after
 * replying with an error page (404 for none or one not yet public, 410
 * for a hidden one, 503 when the store cannot say). */
int page_petition_load(struct request *r, struct petition *p);

/* page_share.c */
void page_share_png(struct request *r);
void page_qr_svg(struct request *r);
void page_qr_png(struct request *r);
void page_embed(struct request *r);
void page_badge_svg(struct request *r);
/* Drops the share images kept drawn (at shutdown). */
void page_share_free(void);

/* page_privacy.c: /w/TOKEN, a signer withdraws (GET: the button). */
void page_withdraw_show(struct request *r);
void page_withdraw_post(struct request *r);
/* /privacy: what is kept, how, for how long, who sees what. */
void page_privacy(struct request *r);
/* page_image.c */
void page_image_upload(struct request *r);
void page_image_webp(struct request *r);
void page_image_jpg(struct request *r);
/* The petition's image for a template: alt, srcset_webp, srcset_jpg, src
 * (the widest JPEG), width and height; NULL when it has none (or the
 * store cannot say). Caller owns it. */
json_t *page_image_json(struct request *r, const char *slug,
    int64_t petition_id);

/* page_comments.c: "Why I signed" (docs/social.md) */
/* Sets o's comments_new, comments_top, has_comments, has_top and
 * like_action for the petition's page; nothing when the store fails. */
void page_comments_public(struct request *r, const struct petition *p,
    json_t *o);
/* Sets o's "comments": a page (?cpage=) of every comment of p its signers
 * agreed to show, hidden ones too, with hide and show-again forms made
 * with csrf (back to the moderators' list when admin). Returns 0, or -1
 * when the store fails. */
int page_comments_manage(struct request *r, const struct user *u,
    const struct petition *p, const char *csrf, bool admin, json_t *o);
void page_comment_like(struct request *r);
void page_comment_hide(struct request *r);
void page_admin_comments(struct request *r);
/* page_mydata.c: /privacy/data, a signer asks for their data by mail (GET:
 * the form; POST: the same answer whether the address is known or not). */
void page_mydata_show(struct request *r);
void page_mydata_post(struct request *r);

#endif
