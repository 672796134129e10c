/* test_crypto.c - crypto.c: the site secret, CSRF tokens, sealed data and email
 * hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>

#include "../../src/crypto.c"

/* A fixed moment for tokens; any second would do. */
#define NOW ((time_t)1700000040)
#define TOKEN_MAX 128

/* The temporary data directory; removed by the group teardown. */
static char root[] = "/tmp/holos-test-crypto.XXXXXX";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	return crypto_init(root);
}

static int
group_teardown(void **state)
{
	(void)state;
	return nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Makes a subdirectory of root for one test; returns its path. */
static const char *
subdir(char *path, size_t cap, const char *name)
{
	assert_true((size_t)snprintf(path, cap, "%s/%s", root, name) < cap);
	assert_int_equal(mkdir(path, 0700), 0);
	return path;
}

static void
key_path(char *path, size_t cap, const char *dir)
{
	assert_true((size_t)snprintf(path, cap, "%s/secret.key", dir) < cap);
}

static void
test_secret_created(void **state)
{
	char path[PATH_MAX];
	struct stat st;

	(void)state;
	key_path(path, sizeof(path), root);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, crypto_kdf_KEYBYTES);
}

/* Makes a token into tok; returns its length. */
static size_t
token(char tok[TOKEN_MAX], const char *cookie, time_t now)
{
	struct buf b;
	size_t len;

	buf_init(&b);
	crypto_csrf_token(&b, cookie, now);
	assert_true(buf_ok(&b));
	assert_true(b.len > 0 && b.len < TOKEN_MAX);
	len = b.len;
	memcpy(tok, b.data, len + 1);
	buf_reset(&b);
	return len;
}

static bool
check(const char *tok, const char *binding, time_t now)
{
	return crypto_csrf_check(tok, strlen(tok), binding, now);
}

static void
test_cookie(void **state)
{
	char a[CRYPTO_COOKIE_CHARS + 1], b[CRYPTO_COOKIE_CHARS + 1];
	size_t i;

	(void)state;
	memset(a, '#', sizeof(a));
	crypto_new_cookie(a);
	crypto_new_cookie(b);
	assert_int_equal(strlen(a), CRYPTO_COOKIE_CHARS);
	assert_int_equal(strlen(b), CRYPTO_COOKIE_CHARS);
	assert_string_not_equal(a, b);
	for (i = 0; i < CRYPTO_COOKIE_CHARS; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_",
		    a[i]));
}

static void
test_csrf_round_trip(void **state)
{
	char tok[TOKEN_MAX], tok2[TOKEN_MAX], cookie[CRYPTO_COOKIE_CHARS + 1];
	const char *dot;
	size_t len, i;

	(void)state;
	crypto_new_cookie(cookie);
	len = token(tok, cookie, NOW);
	/* "TIME.MAC": decimal seconds, a dot, 43 base64url characters. */
	dot = strchr(tok, '.');
	assert_non_null(dot);
	assert_int_equal(dot - tok, 10);
	assert_memory_equal(tok, "1700000040", 10);
	assert_int_equal(len, 10 + 1 + 43);
	for (i = 11; i < len; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_",
		    tok[i]));

	assert_true(check(tok, cookie, NOW));
	assert_true(check(tok, cookie, NOW + 1));
	assert_true(check(tok, cookie, NOW + 3600));
	assert_true(check(tok, cookie, NOW + CRYPTO_CSRF_MAX_AGE));
	/* The token carries the second it was made: the form's render time,
	 * which the minimum-time bot check reads back. */
	token(tok2, cookie, NOW);
	assert_string_equal(tok, tok2);
	token(tok2, cookie, NOW + 59);
	assert_string_not_equal(tok, tok2);
	assert_memory_equal(tok2, "1700000099.", 11);
	assert_true(check(tok2, cookie, NOW + 60));
	{
		int64_t t = 0;

		assert_int_equal(crypto_csrf_time(tok2, strlen(tok2), &t), 0);
		assert_int_equal(t, NOW + 59);
		assert_int_equal(crypto_csrf_time("x", 1, &t), -1);
	}
	token(tok2, cookie, NOW - 1);
	assert_memory_equal(tok2, "1700000039.", 11);
	assert_true(check(tok2, cookie, NOW));
	token(tok2, "another-cookie", NOW);
	assert_string_not_equal(tok, tok2);
	/* Only len bytes of the token are read. */
	memcpy(tok2, tok, len);
	strcpy(tok2 + len, "trailing");
	assert_true(crypto_csrf_check(tok2, len, cookie, NOW));
	assert_false(check(tok2, cookie, NOW));
}

/* The empty binding is for forms anyone may post: still bound to the
 * secret and the time, and not valid for a session's forms. */
static void
test_csrf_empty_binding(void **state)
{
	char tok[TOKEN_MAX], other[TOKEN_MAX];

	(void)state;
	token(tok, "", NOW);
	assert_true(check(tok, "", NOW));
	assert_true(check(tok, "", NOW + 3600));
	assert_false(check(tok, "", NOW + 13 * 3600));
	assert_false(check(tok, "session", NOW));
	assert_false(check(tok, NULL, NOW));
	token(other, "session", NOW);
	assert_string_not_equal(tok, other);
	assert_false(check(other, "", NOW));
}

static void
test_csrf_wrong_cookie(void **state)
{
	char tok[TOKEN_MAX], c1[CRYPTO_COOKIE_CHARS + 1];
	char c2[CRYPTO_COOKIE_CHARS + 1];

	(void)state;
	crypto_new_cookie(c1);
	crypto_new_cookie(c2);
	token(tok, c1, NOW);
	assert_true(check(tok, c1, NOW));
	assert_false(check(tok, c2, NOW));
	assert_false(check(tok, "", NOW));
	assert_false(check(tok, NULL, NOW));
	strcpy(c2, c1);
	c2[CRYPTO_COOKIE_CHARS - 1] ^= 1;
	assert_false(check(tok, c2, NOW));
	/* A prefix of the binding is another binding. */
	strcpy(c2, c1);
	c2[CRYPTO_COOKIE_CHARS - 1] = '\0';
	assert_false(check(tok, c2, NOW));
}

static void
test_csrf_expired_and_future(void **state)
{
	char tok[TOKEN_MAX];

	(void)state;
	token(tok, "cookie", NOW);
	assert_false(check(tok, "cookie", NOW + CRYPTO_CSRF_MAX_AGE + 1));
	assert_false(check(tok, "cookie", NOW + 13 * 3600));
	assert_false(check(tok, "cookie", NOW + 30 * 86400));
	/* Made an hour after the time it is checked: from the future. */
	assert_false(check(tok, "cookie", NOW - 3600));
	assert_false(check(tok, "cookie", NOW - 600));
	assert_false(check(tok, "cookie", 0));
	assert_true(check(tok, "cookie", NOW));
}

static void
test_csrf_tampered(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char tok[TOKEN_MAX], bad[TOKEN_MAX];
	size_t len, i;

	(void)state;
	len = token(tok, "cookie", NOW);
	/* Any single character changed, anywhere. */
	for (i = 0; i < len; i++) {
		const char *p;

		memcpy(bad, tok, len + 1);
		if (tok[i] >= '0' && tok[i] <= '9' && i < 10) {
			bad[i] = tok[i] == '9' ? '0' : tok[i] + 1;
		} else if (tok[i] == '.') {
			bad[i] = '_';
		} else {
			p = strchr(b64, tok[i]);
			assert_non_null(p);
			bad[i] = p[1] != '\0' ? p[1] : b64[0];
		}
		if (check(bad, "cookie", NOW))
			fail_msg("token with byte %zu changed accepted: %s", i,
			    bad);
	}
	/* Any low bit flipped in the MAC part (bit 7, which leaves ASCII, is
	 * test_csrf_non_alphabet's). */
	for (i = 11; i < len; i++) {
		int bit;

		for (bit = 0; bit < 7; bit++) {
			memcpy(bad, tok, len + 1);
			bad[i] = (char)(bad[i] ^ (1 << bit));
			if (crypto_csrf_check(bad, len, "cookie", NOW))
				fail_msg("token with bit %d of byte %zu flipped "
					 "accepted",
				    bit, i);
		}
	}
	/* Truncated or extended. */
	for (i = 0; i < len; i++)
		assert_false(crypto_csrf_check(tok, i, "cookie", NOW));
	memcpy(bad, tok, len);
	strcpy(bad + len, "A");
	assert_false(check(bad, "cookie", NOW));
	strcpy(bad + len, "=");
	assert_false(check(bad, "cookie", NOW));
	/* The same MAC under another time. */
	memcpy(bad, tok, len + 1);
	bad[9] = bad[9] == '0' ? '1' : '0';
	assert_false(check(bad, "cookie", NOW));
	/* Leading zeros make another time string: not the same token. */
	bad[0] = '0';
	memcpy(bad + 1, tok, len + 1);
	assert_false(check(bad, "cookie", NOW));
}

/* Bytes outside the base64url alphabet are not the MAC character they
 * might decode to: libsodium 1.0.18 reads any byte >= 0x80 as '_' (63)
 * where char is signed, so the check must not rely on the decoder alone. */
static void
test_csrf_non_alphabet(void **state)
{
	static const unsigned char high[] = { 0x80, 0xbf, 0xc1, 0xdf, 0xff };
	char tok[TOKEN_MAX], bad[TOKEN_MAX];
	size_t len = 0, i, k;
	time_t t;
	char *u = NULL;

	(void)state;
	/* Find a token whose MAC has a '_' (about half of them do). */
	for (t = NOW; t < NOW + 200 * 60; t += 60) {
		len = token(tok, "cookie", t);
		if ((u = strchr(tok + 11, '_')) != NULL)
			break;
	}
	assert_non_null(u);
	assert_true(check(tok, "cookie", t));
	for (k = 0; k < sizeof(high); k++) {
		memcpy(bad, tok, len + 1);
		bad[u - tok] = (char)high[k];
		if (check(bad, "cookie", t))
			fail_msg("token with '_' at %td replaced by 0x%02x "
				 "accepted",
			    u - tok, high[k]);
	}
	/* Any MAC character replaced by a non-ASCII byte. */
	for (i = 11; i < len; i++) {
		memcpy(bad, tok, len + 1);
		bad[i] = (char)0xff;
		if (check(bad, "cookie", t))
			fail_msg("token with byte %zu = 0xff accepted", i);
	}
}

static void
test_csrf_garbage(void **state)
{
	static const char *const junk[] = {
		"",
		".",
		"..",
		"abc",
		"123",
		"123.",
		".abc",
		"abc.def",
		"1700000000",
		"1700000000.",
		"1700000000..",
		"-1700000000.AAAA",
		"+1700000000.AAAA",
		" 1700000000.AAAA",
		"1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1700000000.!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
		"99999999999999999999999.AAAA",
		"1e9.AAAA",
		"0x10.AAAA",
	};
	static char longtok[100000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (check(junk[i], "cookie", NOW))
			fail_msg("garbage token \"%s\" accepted", junk[i]);
		if (check(junk[i], "cookie", 125))
			fail_msg("garbage token \"%s\" accepted at 125",
			    junk[i]);
	}
	/* "123." while 123 is a fresh time: an empty MAC. */
	assert_false(check("123.", "cookie", 123));
	assert_false(crypto_csrf_check(NULL, 0, "cookie", NOW));
	/* Very long: digits, then a long MAC, then no dot at all. */
	memset(longtok, '1', sizeof(longtok) - 1);
	assert_false(check(longtok, "cookie", NOW));
	longtok[10] = '.';
	memset(longtok + 11, 'A', sizeof(longtok) - 12);
	assert_false(check(longtok, "cookie", NOW));
	memset(longtok, 'A', sizeof(longtok) - 1);
	assert_false(check(longtok, "cookie", NOW));
}

static void
test_seal_round_trip(void **state)
{
	static const char msg[] = "Ann Lee <ann@example.org>, Kyiv";
	unsigned char *box, *box2;
	unsigned char *big;
	size_t blen, blen2, plen, i;
	char *plain;

	(void)state;
	box = crypto_seal(msg, sizeof(msg) - 1, &blen);
	assert_non_null(box);
	assert_int_equal(blen,
	    crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
		sizeof(msg) - 1);
	/* The plaintext does not show through. */
	assert_null(memmem(box, blen, "ann@example.org", 15));
	plain = crypto_open(box, blen, &plen);
	assert_non_null(plain);
	assert_int_equal(plen, sizeof(msg) - 1);
	assert_string_equal(plain, msg);
	free(plain);
	/* A fresh nonce each time. */
	box2 = crypto_seal(msg, sizeof(msg) - 1, &blen2);
	assert_non_null(box2);
	assert_int_equal(blen, blen2);
	assert_memory_not_equal(box, box2, blen);
	free(box2);
	free(box);

	/* Empty and binary plaintexts. */
	box = crypto_seal("", 0, &blen);
	assert_non_null(box);
	plain = crypto_open(box, blen, &plen);
	assert_non_null(plain);
	assert_int_equal(plen, 0);
	assert_int_equal(plain[0], '\0');
	free(plain);
	free(box);
	big = malloc(100000);
	assert_non_null(big);
	for (i = 0; i < 100000; i++)
		big[i] = (unsigned char)(i * 7);
	box = crypto_seal(big, 100000, &blen);
	assert_non_null(box);
	plain = crypto_open(box, blen, &plen);
	assert_non_null(plain);
	assert_int_equal(plen, 100000);
	assert_memory_equal(plain, big, 100000);
	assert_int_equal(plain[100000], '\0');
	free(plain);
	free(box);
	free(big);
}

static void
test_seal_tampered(void **state)
{
	static const char msg[] = "secret";
	unsigned char *box, *bad;
	size_t blen, plen, i;
	char *plain;

	(void)state;
	box = crypto_seal(msg, sizeof(msg) - 1, &blen);
	assert_non_null(box);
	bad = malloc(blen + 1);
	assert_non_null(bad);
	/* Every byte: nonce, MAC and ciphertext. */
	for (i = 0; i < blen; i++) {
		memcpy(bad, box, blen);
		bad[i] ^= 0x01;
		if ((plain = crypto_open(bad, blen, &plen)) != NULL) {
			free(plain);
			free(bad);
			free(box);
			fail_msg("box with byte %zu flipped opened", i);
		}
	}
	/* Truncated anywhere, or extended. */
	for (i = 0; i < blen; i++)
		assert_null(crypto_open(box, i, &plen));
	memcpy(bad, box, blen);
	bad[blen] = 0;
	assert_null(crypto_open(bad, blen + 1, &plen));
	free(bad);
	free(box);
}

static void
test_email_hash(void **state)
{
	unsigned char h1[CRYPTO_HASH_BYTES], h2[CRYPTO_HASH_BYTES];
	unsigned char zero[CRYPTO_HASH_BYTES] = { 0 };
	unsigned char plain[CRYPTO_HASH_BYTES];

	(void)state;
	crypto_email_hash("ann@example.org", 15, h1);
	crypto_email_hash("ann@example.org", 15, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_memory_not_equal(h1, zero, sizeof(h1));
	crypto_email_hash("ann@example.orh", 15, h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	crypto_email_hash("bob@example.org", 15, h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	crypto_email_hash("ann@example.org", 14, h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	crypto_email_hash("", 0, h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	/* Keyed: not the plain BLAKE2b of the address. */
	crypto_generichash(plain, sizeof(plain),
	    (const unsigned char *)"ann@example.org", 15, NULL, 0);
	assert_memory_not_equal(h1, plain, sizeof(h1));
}

static void
test_hex(void **state)
{
	static const unsigned char in[] = { 0x00, 0x01, 0xab, 0xff, 0x7f };
	struct buf b;

	(void)state;
	buf_init(&b);
	crypto_hex(&b, in, sizeof(in));
	assert_string_equal(b.data, "0001abff7f");
	buf_reset(&b);
}

/* A second start-up on the same directory reuses the key; another
 * directory gets another key. */
static void
test_key_reused(void **state)
{
	unsigned char h1[CRYPTO_HASH_BYTES], h2[CRYPTO_HASH_BYTES];
	char dir[PATH_MAX], path[PATH_MAX], tok[TOKEN_MAX];
	unsigned char before[crypto_kdf_KEYBYTES], after[crypto_kdf_KEYBYTES];
	unsigned char *box;
	size_t blen, plen;
	char *plain;
	FILE *f;

	(void)state;
	key_path(path, sizeof(path), root);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(before, 1, sizeof(before), f), sizeof(before));
	fclose(f);

	crypto_email_hash("ann@example.org", 15, h1);
	box = crypto_seal("pii", 3, &blen);
	assert_non_null(box);
	token(tok, "cookie", NOW);

	assert_int_equal(crypto_init(root), 0);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(after, 1, sizeof(after), f), sizeof(after));
	fclose(f);
	assert_memory_equal(before, after, sizeof(before));
	crypto_email_hash("ann@example.org", 15, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_true(check(tok, "cookie", NOW));
	plain = crypto_open(box, blen, &plen);
	assert_non_null(plain);
	assert_string_equal(plain, "pii");
	free(plain);

	/* Another data directory: a new secret, nothing carries over. */
	assert_int_equal(crypto_init(subdir(dir, sizeof(dir), "other")), 0);
	crypto_email_hash("ann@example.org", 15, h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	assert_false(check(tok, "cookie", NOW));
	assert_null(crypto_open(box, blen, &plen));
	free(box);

	/* Back to the first: everything works again. */
	assert_int_equal(crypto_init(root), 0);
	crypto_email_hash("ann@example.org", 15, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
}

/* Writes the 32-byte key k to dir/name, mode 0600. */
static void
put_key(const char *dir, const char *name, const unsigned char *k)
{
	char path[PATH_MAX];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    sizeof(path));
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(k, 1, 32, f), 32);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* The sealing key's rotation: while seal.key.old is there both keys
 * open, new seals use seal.key, crypto_reseal() moves a value; once the
 * old key is gone only what was moved opens. */
static void
test_seal_rotation(void **state)
{
	unsigned char derived[32], fresh[32], *a, *b, *moved;
	size_t alen, blen, mlen, plen;
	char dir[PATH_MAX], path[PATH_MAX], *plain;

	(void)state;
	assert_int_equal(crypto_init(subdir(dir, sizeof(dir), "rot")), 0);
	assert_false(crypto_keys_rotating());
	assert_non_null(a = crypto_seal("before", 6, &alen));
	/* What holos rekey does: the derived key kept, a new one current. */
	crypto_keys_export_derived(derived);
	randombytes_buf(fresh, sizeof(fresh));
	put_key(dir, "seal.key.old", derived);
	put_key(dir, "seal.key", fresh);
	crypto_keys_refresh();
	assert_true(crypto_keys_rotating());
	assert_non_null(b = crypto_seal("after", 5, &blen));
	assert_non_null(plain = crypto_open(a, alen, &plen));
	assert_string_equal(plain, "before");
	free(plain);
	assert_non_null(plain = crypto_open(b, blen, &plen));
	assert_string_equal(plain, "after");
	free(plain);
	/* b is under the new key already; a moves. */
	assert_int_equal(crypto_reseal(b, blen, &moved, &mlen, NULL, NULL), 0);
	assert_null(moved);
	assert_int_equal(crypto_reseal(a, alen, &moved, &mlen, &plain, &plen),
	    1);
	assert_string_equal(plain, "before");
	free(plain);
	/* Garbage opens with neither. */
	{
		unsigned char junk[64], *none;
		size_t nlen;

		memset(junk, 7, sizeof(junk));
		assert_int_equal(crypto_reseal(junk, sizeof(junk), &none, &nlen,
				     NULL, NULL),
		    -1);
		assert_null(none);
	}
	/* The rotation done: the old key gone, only moved values open. */
	assert_true((size_t)snprintf(path, sizeof(path), "%s/seal.key.old",
			dir) < sizeof(path));
	assert_int_equal(unlink(path), 0);
	crypto_keys_refresh();
	assert_false(crypto_keys_rotating());
	assert_null(crypto_open(a, alen, &plen));
	free(a);
	assert_non_null(plain = crypto_open(moved, mlen, &plen));
	assert_string_equal(plain, "before");
	free(plain);
	free(moved);
	assert_non_null(plain = crypto_open(b, blen, &plen));
	assert_string_equal(plain, "after");
	free(plain);
	free(b);
	assert_int_equal(crypto_init(root), 0);
}

static void
write_key(const char *path, size_t n, mode_t mode)
{
	unsigned char k[64];
	int fd;

	memset(k, 0x5a, sizeof(k));
	assert_true(n <= sizeof(k));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, k, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_bad_secret_refused(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0666, 0700,
		0610, 0601 };
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned char h1[CRYPTO_HASH_BYTES], h2[CRYPTO_HASH_BYTES];
	size_t i;

	(void)state;
	/* The site secret readable by others is refused. */
	key_path(path, sizeof(path), subdir(dir, sizeof(dir), "perm"));
	assert_int_equal(crypto_init(dir), 0);
	crypto_email_hash("x", 1, h1);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		if ((modes[i] & 077) != 0 && crypto_init(dir) != -1)
			fail_msg("secret.key mode %04o accepted",
			    (unsigned)modes[i]);
	}
	/* ...and accepted once fixed. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(crypto_init(dir), 0);
	crypto_email_hash("x", 1, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(crypto_init(dir), 0);

	/* Wrong sizes are refused. */
	key_path(path, sizeof(path), subdir(dir, sizeof(dir), "short"));
	write_key(path, crypto_kdf_KEYBYTES - 1, 0600);
	assert_int_equal(crypto_init(dir), -1);
	key_path(path, sizeof(path), subdir(dir, sizeof(dir), "long"));
	write_key(path, crypto_kdf_KEYBYTES + 1, 0600);
	assert_int_equal(crypto_init(dir), -1);
	key_path(path, sizeof(path), subdir(dir, sizeof(dir), "empty"));
	write_key(path, 0, 0600);
	assert_int_equal(crypto_init(dir), -1);
	/* A correct one written by hand is used. */
	key_path(path, sizeof(path), subdir(dir, sizeof(dir), "exact"));
	write_key(path, crypto_kdf_KEYBYTES, 0600);
	assert_int_equal(crypto_init(dir), 0);
	/* A directory that does not exist. */
	assert_true((size_t)snprintf(dir, sizeof(dir), "%s/missing/deeper",
			root) < sizeof(dir));
	assert_int_equal(crypto_init(dir), -1);

	assert_int_equal(crypto_init(root), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_created),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_csrf_round_trip),
		cmocka_unit_test(test_csrf_empty_binding),
		cmocka_unit_test(test_csrf_wrong_cookie),
		cmocka_unit_test(test_csrf_expired_and_future),
		cmocka_unit_test(test_csrf_tampered),
		cmocka_unit_test(test_csrf_non_alphabet),
		cmocka_unit_test(test_csrf_garbage),
		cmocka_unit_test(test_seal_round_trip),
		cmocka_unit_test(test_seal_tampered),
		cmocka_unit_test(test_email_hash),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_key_reused),
		cmocka_unit_test(test_seal_rotation),
		cmocka_unit_test(test_bad_secret_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
