/* page_account.c - sign-up with email verification and password reset. The
 * links mailed for both open a page with a button or a form and only its
 * POST uses them, so a scanner that fetches links changes nothing. No
 * answer says whether an address has an account. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "crypto.h"
#include "delay.h"
#include "email.h"
#include "form.h"
#include "guard.h"
#include "i18n.h"
#include "log.h"
#include "mail_letter.h"
#include "mail_outbox.h"
#include "mono.h"
#include "offload.h"
#include "page.h"

#define MAIL_WINDOW 3600  /* per account and hour at most: */
#define RESET_MAX 3	  /* reset links, */
#define EXISTS_MAX 3	  /* notes that the address has an account */
#define RESEND_SECONDS 60 /* one verification link a minute */
/* Sign-up and reset answer no sooner than this after the request came:
 * long enough for the slower path (a password hash, a link and a mail
 * written to disk). */
#define ANSWER_MS 300

enum signup_field { S_NAME, S_EMAIL, S_PASSWORD, S_CSRF, S__MAX };

/* The public name is shown on petitions: an address typed there by
 * mistake would be published. */
static bool
name_ok(const char *s, size_t len)
{
	return !email_valid(s, len);
}

static const struct form_spec signup_form[S__MAX] = {
	[S_NAME] = { "name", FORM_LINE, 100, true, name_ok },
	[S_EMAIL] = { "email", FORM_LINE, EMAIL_MAX, true, email_valid },
	[S_PASSWORD] = { "password", FORM_SECRET, ACCOUNT_PASSWORD_MAX, true,
	    NULL },
	[S_CSRF] = PAGE_CSRF_FIELD,
};

enum password_field { P_PASSWORD, P_CSRF, P__MAX };

static const struct form_spec password_form[P__MAX] = {
	[P_PASSWORD] = { "password", FORM_SECRET, ACCOUNT_PASSWORD_MAX, true,
	    NULL },
	[P_CSRF] = PAGE_CSRF_FIELD,
};

/* A message of the catalogue with the arguments the account pages use
 * (in r's arena; the key itself when it cannot be formatted). */
static const char *
text(struct request *r, const char *key, const char *email, int64_t hours)
{
	struct msgfmt_arg args[4] = {
		MSGFMT_NUM("n", ACCOUNT_PASSWORD_MIN),
		MSGFMT_NUM("max", ACCOUNT_PASSWORD_MAX),
		MSGFMT_NUM("hours", hours),
		MSGFMT_STR("email", email != NULL ? email : ""),
	};
	const char *s = i18n_format(r->arena, r->lang, key, args, 4);

	return s != NULL ? s : key;
}

/* The message key for a field's error; FORM_INVALID depends on the field. */
static const char *
error_key(const char *field, enum form_error e)
{
	if (e == FORM_TOO_LONG && strcmp(field, "password") == 0)
		return "acct_err_password_long";
	if (e != FORM_INVALID)
		return form_error_key(e);
	return strcmp(field, "email") == 0 ? "err_email" :
	    strcmp(field, "name") == 0	   ? "acct_err_name_email" :
					     "err_invalid_text";
}

static const char *
password_error(enum account_password_check c)
{
	switch (c) {
	case ACCOUNT_PASSWORD_SHORT: return "acct_err_password_short";
	case ACCOUNT_PASSWORD_LONG: return "acct_err_password_long";
	case ACCOUNT_PASSWORD_IS_EMAIL: return "acct_err_password_email";
	default: return NULL;
	}
}

/* The context of a form: the values typed so far (never a password) and
 * each field's error with a summary. */
static json_t *
form_json(struct request *r, const struct form_spec *spec, size_t n,
    const struct form_value *v, const char *const *errs, const char *action,
    const char *binding)
{
	json_t *form, *values, *errors;
	int nerr = 0;
	size_t i;

	values = json_object();
	errors = json_object();
	for (i = 0; i < n; i++) {
		/* Bytes that failed validation are not echoed back. */
		bool keep = v != NULL && v[i].err != FORM_BAD_TEXT;

		if (spec[i].kind != FORM_TOKEN && spec[i].kind != FORM_SECRET)
			json_object_set_new(values, spec[i].name,
			    json_stringn(keep ? v[i].s : "",
				keep ? v[i].len : 0));
		if (errs != NULL && errs[i] != NULL) {
			json_object_set_new(errors, spec[i].name,
			    json_string(text(r, errs[i], NULL, 0)));
			nerr++;
		}
	}
	form = json_pack("{s:s, s:s, s:o, s:o, s:b, s:s}", "action", action,
	    "csrf", page_form_token(r, binding), "values", values, "errors",
	    errors, "has_errors", nerr > 0, "password_hint",
	    text(r, "acct_password_hint", NULL, 0));
	if (nerr > 0)
		page_error_summary(r, form, "acct_error_summary", nerr);
	return form;
}

/* Renders one of the account forms. */
static void
render_form(struct request *r, int status, const char *tmpl,
    const char *title_key, const struct form_spec *spec, size_t n,
    const struct form_value *v, const char *const *errs, const char *action)
{
	json_t *ctx;

	page_begin(r);
	ctx = page_context(r, i18n_text(r->lang, title_key));
	json_object_set_new(ctx, "form",
	    form_json(r, spec, n, v, errs, action, ""));
	page_render(r, status, tmpl, ctx);
	http_header_add(r, "Cache-Control", "no-store");
}

/* A page of a heading and a few sentences, perhaps a button and links. */
static json_t *
msg_new(struct request *r, const char *heading_key)
{
	return json_pack("{s:s, s:[], s:[]}", "heading",
	    i18n_text(r->lang, heading_key), "paras", "links");
}

static void
msg_button(struct request *r, json_t *m, const char *action,
    const char *binding, const char *key)
{
	json_object_set_new(m, "form",
	    json_pack("{s:s, s:s, s:s}", "action", action, "csrf",
		page_form_token(r, binding), "button", i18n_text(r->lang, key)));
}

static void
msg_render(struct request *r, int status, json_t *m)
{
	json_t *ctx;

	ctx = page_context(r, json_string_value(json_object_get(m, "heading")));
	json_object_set_new(ctx, "msg", m);
	page_render(r, status, "account", ctx);
	/* Some of these pages are reached through a secret in the URL; the
	 * site-wide Referrer-Policy keeps it from leaving for other sites. */
	http_header_add(r, "Cache-Control", "no-store");
}

/* Holds r's reply (made already) until ms after r came, so that how long
 * its work took (a link and a mail written, or nothing) does not tell
 * whether an address has an account. The request is parked meanwhile, not
 * its thread; when it cannot be (the table is full: a flood), the reply
 * goes now, for a request thread that slept would stall the pages. */
static void
answer_later(struct request *r, long ms)
{
	struct timespec t = r->start;

	mono_add_ms(&t, ms);
	if (delay_park(r, &t) == -1)
		log_warn("account", "event=answer_later result=full");
}

/* The language an account's mail is written in: its own, while holos
 * still speaks it. */
static const char *
mail_lang(struct request *r, const struct user *u)
{
	const char *l =
	    u->lang != NULL ? i18n_match(u->lang, strlen(u->lang)) : NULL;

	return l != NULL ? l : r->lang;
}

/* Makes a link of purpose for account id working for ttl seconds, keeps
 * its hash in the store and returns its URL (arena), or NULL (logged). */
static const char *
link_make(struct request *r, enum user_token_purpose purpose, int64_t id,
    int64_t ttl, const char *lang)
{
	char tok[CRYPTO_TOKEN_CHARS + 1];
	unsigned char hash[CRYPTO_HASH_BYTES];
	int64_t now = (int64_t)time(NULL);
	enum store_status st;
	const char *url = NULL;

	account_link_new(purpose, now + ttl, tok);
	crypto_token_hash(tok, CRYPTO_TOKEN_CHARS, hash);
	st = store_user_token_create(site.store, hash, purpose, id, now,
	    now + ttl);
	if (st == STORE_OK)
		url = page_url(r,
		    arena_printf(r->arena, "/%s/%s?lang=%s",
			purpose == USER_TOKEN_VERIFY	 ? "verify" :
			    purpose == USER_TOKEN_SIGNIN ? "login/link" :
							   "reset",
			tok, lang));
	else
		log_error("account", "op=token_create user=%lld status=%s",
		    (long long)id, store_status_name(st));
	sodium_memzero(tok, sizeof(tok));
	return url;
}

/* Queues l in the outbox and wakes the sender. Returns 0 or -1 (logged). */
static int
mail_queue(struct request *r, const struct letter_account *l)
{
	struct outbox_new m;
	enum store_status st;

	memset(&m, 0, sizeof(m));
	if (letter_account(r->arena, l, &m) == -1)
		return -1;
	if ((st = store_outbox_add(site.store, &m, (int64_t)time(NULL))) !=
	    STORE_OK) {
		log_error("account", "op=outbox_add status=%s",
		    store_status_name(st));
		return -1;
	}
	outbox_kick();
	return 0;
}

/* Mails account u (address email) a verification link. Returns 0 or -1. */
static int
verify_send(struct request *r, const struct user *u, const char *email)
{
	struct letter_account l;

	memset(&l, 0, sizeof(l));
	l.kind = LETTER_VERIFY;
	l.lang = mail_lang(r, u);
	l.name = u->name != NULL ? u->name : "";
	l.email = email;
	l.hours = ACCOUNT_VERIFY_TTL / 3600;
	if ((l.link = link_make(r, USER_TOKEN_VERIFY, u->id, ACCOUNT_VERIFY_TTL,
		 l.lang)) == NULL ||
	    mail_queue(r, &l) == -1)
		return -1;
	if (site.mail_to_files)
		/* No mail server (a trial set-up): the newcomer confirms from
		 * the log, as signers do. */
		log_info("account", "user=%lld verify_link=%s",
		    (long long)u->id, l.link);
	return 0;
}

void
page_signup_show(struct request *r)
{
	render_form(r, 200, "signup", "acct_signup_title", signup_form, S__MAX,
	    NULL, NULL, "/signup");
}

/* A sign-up with an address that has an account: the same answer as a new
 * one, and a note to the address instead of a link. */
static int
signup_existing(struct request *r, const char *email,
    const unsigned char hash[CRYPTO_HASH_BYTES])
{
	struct letter_account l;
	struct user u;

	if (store_user_by_email(site.store, r->arena, hash, &u) != STORE_OK)
		return -1;
	if (!account_mail_take("exists", hash, CRYPTO_HASH_BYTES, EXISTS_MAX,
		MAIL_WINDOW, (int64_t)time(NULL), NULL)) {
		log_info("account",
		    "event=signup_existing user=%lld "
		    "result=limited",
		    (long long)u.id);
		return 0;
	}
	memset(&l, 0, sizeof(l));
	l.kind = LETTER_EXISTS;
	l.lang = mail_lang(r, &u);
	l.name = u.name != NULL ? u.name : "";
	l.email = email;
	l.link = page_url(r, arena_printf(r->arena, "/login?lang=%s", l.lang));
	l.link2 = page_url(r, arena_printf(r->arena, "/reset?lang=%s", l.lang));
	log_info("account", "event=signup_existing user=%lld", (long long)u.id);
	return mail_queue(r, &l);
}

/* A sign-up that passed validation: the account made (a password hash)
 * and its mail queued, then the "check your email" page. Runs on the
 * offload worker while the request is parked. */
struct signup_job {
	struct request *r;
	const char *name, *password, *email;
	size_t plen, elen;
};

static void
signup_work(void *arg)
{
	struct signup_job *j = arg;
	struct request *r = j->r;
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct account_new n;
	struct user u;
	int64_t id = 0;
	int rc;
	json_t *m;

	memset(&n, 0, sizeof(n));
	n.email = j->email;
	n.password = j->password;
	n.role = ROLE_STARTER;
	n.name = j->name;
	n.lang = r->lang;
	rc = account_create(site.store, &n, &id);
	sodium_memzero((char *)j->password, j->plen);
	crypto_email_hash(j->email, j->elen, hash);
	if (rc == 0) {
		memset(&u, 0, sizeof(u));
		u.id = id;
		u.name = j->name;
		u.lang = r->lang;
		log_info("account", "event=signup user=%lld lang=%s",
		    (long long)id, r->lang);
		rc = verify_send(r, &u, j->email);
	} else if (rc == 1) {
		rc = signup_existing(r, j->email, hash);
	}
	if (rc == -1) {
		page_unavailable(r);
		return;
	}
	m = msg_new(r, "acct_signup_sent_title");
	page_para_add(m, text(r, "acct_signup_sent_text", j->email, 0));
	page_para_add(m,
	    text(r, "acct_signup_sent_more", NULL, ACCOUNT_VERIFY_TTL / 3600));
	msg_render(r, 200, m);
}

void
page_signup_post(struct request *r)
{
	struct form_value v[S__MAX];
	const char *errs[S__MAX] = { NULL };
	struct signup_job *j;
	char *email = NULL;
	size_t elen = 0, i;

	if (r->job == &delay_job)
		return; /* parked with its reply: it is time */
	if (r->job != NULL) {
		/* The worker has made the account and the reply. */
		answer_later(r, ANSWER_MS);
		return;
	}
	page_begin(r);
	if (page_form_post(r, signup_form, S__MAX, v, S_CSRF, "") == -1)
		return;
	for (i = 0; i < S__MAX; i++)
		errs[i] = error_key(signup_form[i].name, v[i].err);
	if (v[S_EMAIL].err == FORM_OK) {
		email = email_normalize(r->arena, v[S_EMAIL].s, v[S_EMAIL].len,
		    &elen);
		if (email == NULL || !email_valid(email, elen))
			errs[S_EMAIL] = "err_email";
		else if (guard_check(email, &r->addr) == GUARD_DISPOSABLE)
			errs[S_EMAIL] = "err_disposable";
	}
	if (v[S_PASSWORD].err == FORM_OK)
		errs[S_PASSWORD] =
		    password_error(account_password_check(r->arena,
			v[S_PASSWORD].s, v[S_PASSWORD].len,
			errs[S_EMAIL] == NULL ? email : NULL));
	for (i = 0; i < S__MAX; i++) {
		if (errs[i] != NULL) {
			render_form(r, 422, "signup", "acct_signup_title",
			    signup_form, S__MAX, v, errs, "/signup");
			return;
		}
	}
	if ((j = arena_alloc(r->arena, sizeof(*j))) == NULL) {
		page_unavailable(r);
		return;
	}
	j->r = r;
	j->name = v[S_NAME].s;
	j->password = v[S_PASSWORD].s;
	j->plen = v[S_PASSWORD].len;
	j->email = email;
	j->elen = elen;
	if (offload_submit(r, signup_work, j) == 0)
		return;
	/* The worker's queue is full: the form again at once, never the hash
	 * on this thread. */
	sodium_memzero((char *)v[S_PASSWORD].s, v[S_PASSWORD].len);
	log_warn("account", "event=signup result=busy");
	render_form(r, 503, "signup", "acct_signup_title", signup_form, S__MAX,
	    v, NULL, "/signup");
	http_header_add(r, "Retry-After", "5");
}

/* The page for a link the store does not take (any longer): 404 for one
 * holos never made, 410 for one used or expired. */
static void
render_link_gone(struct request *r, enum user_token_purpose purpose)
{
	bool verify = purpose == USER_TOKEN_VERIFY;
	bool signin = purpose == USER_TOKEN_SIGNIN;
	int64_t ttl = verify ? ACCOUNT_VERIFY_TTL : ACCOUNT_RESET_TTL;
	char binding[33];
	struct user u;
	json_t *m;
	int status = 410;

	switch (account_link_state(r->token, purpose, (int64_t)time(NULL))) {
	case ACCOUNT_LINK_EXPIRED:
		m = msg_new(r, "acct_link_expired_heading");
		page_para_add(m,
		    text(r,
			signin	   ? "signin_link_expired" :
			    verify ? "acct_verify_expired" :
				     "acct_reset_expired",
			NULL, ttl / 3600));
		break;
	case ACCOUNT_LINK_SPENT:
		m = msg_new(r, "acct_link_used_heading");
		page_para_add(m,
		    text(r,
			signin	   ? "signin_link_used" :
			    verify ? "acct_verify_used" :
				     "acct_reset_used",
			NULL, 0));
		break;
	default:
		status = 404;
		m = msg_new(r, "acct_link_unknown_heading");
		page_para_add(m, text(r, "acct_link_unknown", NULL, 0));
		break;
	}
	if (signin)
		page_link_add(r, m, "/login/link", "acct_reset_again");
	else if (!verify)
		page_link_add(r, m, "/reset", "acct_reset_again");
	else if (page_session(r, &u, binding) != 0)
		page_link_add(r, m, "/login", "acct_signin_link");
	else if (u.verified_at == 0)
		msg_button(r, m, "/verify", binding, "acct_resend_button");
	else
		page_link_add(r, m, "/me", "acct_to_me");
	msg_render(r, status, m);
}

/* Whether the link in the path is live for purpose, without using it;
 * replies (404, 410 or 503) and returns -1 when it is not. */
static int
link_check(struct request *r, enum user_token_purpose purpose, bool consume,
    int64_t *id)
{
	unsigned char hash[CRYPTO_HASH_BYTES];

	crypto_token_hash(r->token, strlen(r->token), hash);
	switch (store_user_token_use(site.store, hash, purpose, consume,
	    (int64_t)time(NULL), id)) {
	case STORE_OK: return 0;
	case STORE_NOTFOUND: render_link_gone(r, purpose); return -1;
	default: page_unavailable(r); return -1;
	}
}

/* The page a mailed link of purpose opens: a heading, a sentence and the
 * button that posts it back (a link alone changes nothing, so a mail
 * scanner that follows it uses nothing up). */
static void
link_page(struct request *r, enum user_token_purpose purpose,
    const char *heading_key, const char *text_key, const char *button_key)
{
	int64_t id;
	json_t *m;

	page_begin(r);
	if (link_check(r, purpose, false, &id) == -1)
		return;
	m = msg_new(r, heading_key);
	page_para_add(m, i18n_text(r->lang, text_key));
	msg_button(r, m, r->path, "", button_key);
	msg_render(r, 200, m);
}

void
page_verify_show(struct request *r)
{
	link_page(r, USER_TOKEN_VERIFY, "acct_verify_title", "acct_verify_ask",
	    "acct_verify_button");
}

void
page_verify_post(struct request *r)
{
	char cookie[ACCOUNT_SESSION_CHARS + 1];
	const char *old;
	int64_t id;

	page_begin(r);
	if (page_button_post(r, "") == -1 ||
	    link_check(r, USER_TOKEN_VERIFY, true, &id) == -1)
		return;
	if (store_user_verify(site.store, id, (int64_t)time(NULL)) != STORE_OK ||
	    account_session_start(site.store, id, cookie) == -1) {
		page_unavailable(r);
		return;
	}
	/* Whoever was signed in on this browser is not any more. */
	if ((old = http_cookie(r, PAGE_COOKIE_SESSION)) != NULL)
		account_logout(site.store, old);
	log_info("account", "event=verified user=%lld", (long long)id);
	page_session_cookie(r, cookie);
	sodium_memzero(cookie, sizeof(cookie));
	page_see_other(r, "/me");
}

void
page_verify_resend(struct request *r)
{
	char binding[33];
	struct user u, full;
	int64_t wait = 1;
	const char *email;
	json_t *m;

	page_begin(r);
	if (page_require(r, ROLE_STARTER, &u, binding) == -1 ||
	    page_button_post(r, binding) == -1)
		return;
	if (!page_store_ok(r,
		store_user_by_id(site.store, r->arena, u.id, &full)))
		return;
	m = msg_new(r, "acct_resend_title");
	if (full.verified_at != 0) {
		page_para_add(m, i18n_text(r->lang, "acct_resend_done"));
		page_link_add(r, m, "/me", "acct_to_me");
		msg_render(r, 200, m);
		return;
	}
	if (!account_mail_take("verify", &u.id, sizeof(u.id), 1, RESEND_SECONDS,
		(int64_t)time(NULL), &wait)) {
		page_para_add(m, i18n_text(r->lang, "acct_resend_wait"));
		msg_render(r, 429, m);
		http_header_add(r, "Retry-After",
		    arena_printf(r->arena, "%lld", (long long)wait));
		return;
	}
	if ((email = account_email(r->arena, &full)) == NULL ||
	    verify_send(r, &full, email) == -1) {
		json_decref(m);
		page_unavailable(r);
		return;
	}
	log_info("account", "event=verify_resent user=%lld", (long long)u.id);
	page_para_add(m,
	    text(r, "acct_resend_sent", NULL, ACCOUNT_VERIFY_TTL / 3600));
	page_link_add(r, m, "/me", "acct_to_me");
	msg_render(r, 200, m);
}

/* A link mailed on request to whoever owns an address: a password reset
 * or a sign-in link. Both forms answer alike whether or not an account
 * has the address, and each account gets max of them an hour. */
enum mailed { MAILED_RESET, MAILED_SIGNIN, MAILED__MAX };

#define SIGNIN_TTL 900 /* a sign-in link works for 15 minutes, */
#define SIGNIN_MAX 3   /* and an account gets 3 an hour at most */

static const struct mailed_kind {
	const char *event; /* in the log and the mail limiter */
	enum letter_account_kind letter;
	enum user_token_purpose purpose;
	int64_t ttl;	  /* seconds the link works */
	int max;	  /* links an account gets an hour */
	const char *tmpl; /* the form */
	const char *title;
	const char *path;
	const char *sent; /* the answer's text; its hours are ttl's */
} mailed_kinds[MAILED__MAX] = {
	[MAILED_RESET] = { "reset", LETTER_RESET, USER_TOKEN_RESET,
	    ACCOUNT_RESET_TTL, RESET_MAX, "reset", "acct_reset_title", "/reset",
	    "acct_reset_sent_text" },
	[MAILED_SIGNIN] = { "signin_link", LETTER_SIGNIN, USER_TOKEN_SIGNIN,
	    SIGNIN_TTL, SIGNIN_MAX, "signin_link", "signin_link_title",
	    "/login/link", "signin_link_sent" },
};

/* Mails account u a link of kind k unless it had its share this hour.
 * Failures are logged only: the answer must not differ from that for no
 * account. */
static void
mailed_send(struct request *r, const struct mailed_kind *k, const struct user *u,
    const char *email, const unsigned char hash[CRYPTO_HASH_BYTES])
{
	struct letter_account l;

	if (!account_mail_take(k->event, hash, CRYPTO_HASH_BYTES, k->max,
		MAIL_WINDOW, (int64_t)time(NULL), NULL)) {
		log_info("account", "event=%s user=%lld result=limited",
		    k->event, (long long)u->id);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.kind = k->letter;
	l.lang = mail_lang(r, u);
	/* A reset letter greets its account; a sign-in letter carries no
	 * text a stranger may have typed. */
	l.name = k->letter == LETTER_RESET && u->name != NULL ? u->name : "";
	l.email = email;
	l.hours = k->letter == LETTER_RESET ? k->ttl / 3600 : 0;
	if ((l.link = link_make(r, k->purpose, u->id, k->ttl, l.lang)) == NULL ||
	    mail_queue(r, &l) == -1) {
		log_warn("account", "event=%s user=%lld result=failed",
		    k->event, (long long)u->id);
		return;
	}
	log_info("account", "event=%s user=%lld result=mailed", k->event,
	    (long long)u->id);
}

static void
mailed_show(struct request *r, enum mailed kind)
{
	const struct mailed_kind *k = &mailed_kinds[kind];

	render_form(r, 200, k->tmpl, k->title, page_email_form, PAGE_EMAIL__MAX,
	    NULL, NULL, k->path);
}

/* POST of an address for a link of kind: the same answer, after the same
 * time, whether or not an account has it. */
static void
mailed_post(struct request *r, enum mailed kind)
{
	const struct mailed_kind *k = &mailed_kinds[kind];
	struct form_value v[PAGE_EMAIL__MAX];
	const char *errs[PAGE_EMAIL__MAX] = { NULL };
	unsigned char hash[CRYPTO_HASH_BYTES];
	struct user u;
	char *email;
	size_t elen;
	json_t *m;

	if (r->job == &delay_job)
		return; /* parked with its reply: it is time */

	page_begin(r);
	switch (page_email_post(r, v, &email, &elen)) {
	case 0: break;
	case 1:
		errs[PAGE_EMAIL] = error_key("email", v[PAGE_EMAIL].err);
		if (errs[PAGE_EMAIL] == NULL)
			errs[PAGE_EMAIL] = "err_email";
		render_form(r, 422, k->tmpl, k->title, page_email_form,
		    PAGE_EMAIL__MAX, v, errs, k->path);
		return;
	default: return;
	}
	crypto_email_hash(email, elen, hash);
	switch (store_user_by_email(site.store, r->arena, hash, &u)) {
	case STORE_OK: mailed_send(r, k, &u, email, hash); break;
	case STORE_NOTFOUND: break;
	default: page_unavailable(r); return;
	}
	m = msg_new(r, "acct_reset_sent_title");
	page_para_add(m,
	    text(r, k->sent, NULL,
		k->letter == LETTER_RESET ? k->ttl / 3600 : 0));
	page_para_add(m, i18n_text(r->lang, "acct_reset_sent_more"));
	page_link_add(r, m, k->path, "acct_reset_other");
	page_link_add(r, m, "/login", "acct_back_login");
	msg_render(r, 200, m);
	answer_later(r, ANSWER_MS);
}

void
page_reset_show(struct request *r)
{
	mailed_show(r, MAILED_RESET);
}

void
page_reset_post(struct request *r)
{
	mailed_post(r, MAILED_RESET);
}

void
page_reset_token_show(struct request *r)
{
	int64_t id;

	page_begin(r);
	if (link_check(r, USER_TOKEN_RESET, false, &id) == -1)
		return;
	render_form(r, 200, "reset_password", "acct_newpw_title", password_form,
	    P__MAX, NULL, NULL, r->path);
}

/* A new password that passed its checks: its hash, made on the offload
 * worker while the request is parked. */
struct reset_job {
	const char *password;
	size_t plen;
	char pw[ACCOUNT_HASH_CHARS];
	int rc; /* of account_hash_password() */
	int64_t verified_at;
};

static void
reset_work(void *arg)
{
	struct reset_job *j = arg;

	j->rc = account_hash_password(j->password, j->plen, j->pw);
	sodium_memzero((char *)j->password, j->plen);
}

/* The new password's hash in place, once the worker made it. */
static void
reset_finish(struct request *r, struct reset_job *j)
{
	int64_t id, now = (int64_t)time(NULL);

	if (j->rc == -1) {
		page_error(r, 500, "err_internal");
		goto out;
	}
	/* Used only now, so a refused password leaves the link working; of
	 * two tabs racing, one wins. */
	if (link_check(r, USER_TOKEN_RESET, true, &id) == -1)
		goto out;
	if (store_user_set_password(site.store, id, j->pw) != STORE_OK) {
		page_unavailable(r);
		goto out;
	}
	/* The link came by mail, so the address works. */
	if (j->verified_at == 0)
		(void)store_user_verify(site.store, id, now);
	(void)store_audit(site.store, page_actor(r, id), "password_reset",
	    page_actor(r, id), "", now);
	log_info("account", "event=password_reset user=%lld", (long long)id);
	/* Every session ended with the old password, this browser's too. */
	http_header_add(r, "Set-Cookie",
	    PAGE_COOKIE_SESSION "=; Path=/; "
				"Max-Age=0; HttpOnly; SameSite=Lax");
	page_see_other(r, "/login?reset=1");
out:
	sodium_memzero(j->pw, sizeof(j->pw));
}

void
page_reset_token_post(struct request *r)
{
	struct form_value v[P__MAX];
	const char *errs[P__MAX] = { NULL };
	struct reset_job *j;
	int64_t id;
	struct user u;
	const char *email;

	if (r->job != NULL) {
		/* The worker has hashed the new password. */
		reset_finish(r, r->job);
		return;
	}
	page_begin(r);
	if (page_form_post(r, password_form, P__MAX, v, P_CSRF, "") == -1 ||
	    link_check(r, USER_TOKEN_RESET, false, &id) == -1)
		return;
	if (!page_store_ok(r, store_user_by_id(site.store, r->arena, id, &u)))
		return;
	email = account_email(r->arena, &u);
	errs[P_PASSWORD] = error_key("password", v[P_PASSWORD].err);
	if (errs[P_PASSWORD] == NULL)
		errs[P_PASSWORD] =
		    password_error(account_password_check(r->arena,
			v[P_PASSWORD].s, v[P_PASSWORD].len, email));
	if (errs[P_PASSWORD] != NULL) {
		render_form(r, 422, "reset_password", "acct_newpw_title",
		    password_form, P__MAX, v, errs, r->path);
		return;
	}
	if ((j = arena_alloc(r->arena, sizeof(*j))) == NULL) {
		sodium_memzero((char *)v[P_PASSWORD].s, v[P_PASSWORD].len);
		page_unavailable(r);
		return;
	}
	memset(j, 0, sizeof(*j));
	j->password = v[P_PASSWORD].s;
	j->plen = v[P_PASSWORD].len;
	j->verified_at = u.verified_at;
	/* The hash takes tens of milliseconds and 64 MiB: on the worker, with
	 * the request parked, as at sign-in and sign-up. */
	if (offload_submit(r, reset_work, j) == 0)
		return;
	/* The worker's queue is full: the form again at once (the link still
	 * works), never the hash on this thread. */
	sodium_memzero((char *)v[P_PASSWORD].s, v[P_PASSWORD].len);
	log_warn("account", "event=password_reset result=busy");
	render_form(r, 503, "reset_password", "acct_newpw_title", password_form,
	    P__MAX, v, NULL, r->path);
	http_header_add(r, "Retry-After", "5");
}

/* ---- guard: mailed sign-in links ---- */

void
page_signin_link_show(struct request *r)
{
	mailed_show(r, MAILED_SIGNIN);
}

void
page_signin_link_post(struct request *r)
{
	mailed_post(r, MAILED_SIGNIN);
}

void
page_signin_token_show(struct request *r)
{
	link_page(r, USER_TOKEN_SIGNIN, "signin_link_title",
	    "signin_link_press", "signin_link_button");
}

void
page_signin_token_post(struct request *r)
{
	char known[ACCOUNT_KNOWN_CHARS + 1];
	int64_t id, now = (int64_t)time(NULL);
	const char *email;
	struct user u;

	page_begin(r);
	if (page_button_post(r, "") == -1 ||
	    link_check(r, USER_TOKEN_SIGNIN, true, &id) == -1)
		return;
	if (store_user_by_id(site.store, r->arena, id, &u) != STORE_OK ||
	    (email = account_email(r->arena, &u)) == NULL) {
		page_unavailable(r);
		return;
	}
	/* The link came by mail, so the address works. */
	if (u.verified_at == 0)
		(void)store_user_verify(site.store, id, now);
	(void)store_audit(site.store, page_actor(r, id), "signin_link",
	    page_actor(r, id), "", now);
	log_info("account", "event=signin_link_used user=%lld", (long long)id);
	/* This browser proved the mailbox: it is a known one from now on,
	 * so the right password gets through a lock others' guesses caused. */
	account_known_new(email, known);
	page_login_done(r, &u, known, "");
}
