/* test_translog.c - translog.c: leaf and tree head bytes, signatures, the
 * log key file, reason codes and base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/translog.c"

static char root[] = "/tmp/holos-test-translog.XXXXXX";

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
	if (sodium_init() < 0 || mkdtemp(root) == NULL)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
unhex(unsigned char *out, size_t n, const char *hex)
{
	size_t len;

	assert_int_equal(strlen(hex), 2 * n);
	assert_int_equal(sodium_hex2bin(out, n, hex, 2 * n, NULL, &len, NULL),
	    0);
	assert_int_equal(len, n);
}

static void
assert_bytes(const unsigned char *got, size_t n, const char *hex)
{
	unsigned char want[128];

	assert_true(n <= sizeof(want));
	unhex(want, n, hex);
	assert_memory_equal(got, want, n);
}

/* A signature leaf, byte for byte: version 0, type 0, the time, the
 * commitment (SHA-256 of the secret 00 01 … 1f), "UA". */
static void
test_signature_leaf(void **state)
{
	unsigned char secret[32], out[TRANSLOG_LEAF_MAX];
	struct translog_leaf l = { 0 }, back;
	size_t i, n;

	(void)state;
	for (i = 0; i < 32; i++)
		secret[i] = (unsigned char)i;
	translog_commitment(secret, l.commitment);
	assert_bytes(l.commitment, 32,
	    "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd");
	l.type = TRANSLOG_LEAF_SIGNATURE;
	l.timestamp = 0x0000018c1f2e3a4bULL;
	memcpy(l.country, "UA", 2);
	n = translog_leaf_encode(&l, out);
	assert_int_equal(n, 44);
	assert_int_equal(n, TRANSLOG_SIGNATURE_LEAF_BYTES);
	assert_bytes(out, n,
	    "0000"
	    "0000018c1f2e3a4b"
	    "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
	    "5541");
	assert_int_equal(translog_leaf_parse(out, n, &back), 0);
	assert_int_equal(back.type, TRANSLOG_LEAF_SIGNATURE);
	assert_int_equal(back.timestamp, l.timestamp);
	assert_memory_equal(back.commitment, l.commitment, 32);
	assert_memory_equal(back.country, "UA", 2);

	/* No country. */
	memcpy(l.country, TRANSLOG_NO_COUNTRY, 2);
	assert_int_equal(translog_leaf_encode(&l, out), 44);
	assert_memory_equal(out + 42, "--", 2);
	assert_int_equal(translog_leaf_parse(out, 44, &back), 0);
	assert_memory_equal(back.country, "--", 2);
	/* The extremes of time. */
	l.timestamp = UINT64_MAX;
	assert_int_equal(translog_leaf_encode(&l, out), 44);
	assert_bytes(out + 2, 8, "ffffffffffffffff");
	assert_int_equal(translog_leaf_parse(out, 44, &back), 0);
	assert_true(back.timestamp == UINT64_MAX);
}

/* A removal leaf: version 0, type 1, the time, the removed leaf's index,
 * the reason's code. */
static void
test_removal_leaf(void **state)
{
	unsigned char out[TRANSLOG_LEAF_MAX];
	struct translog_leaf l = { 0 }, back;
	int r;

	(void)state;
	l.type = TRANSLOG_LEAF_REMOVAL;
	l.timestamp = 0x0000018c1f2e3a4cULL;
	l.removed_index = 41;
	l.reason = TRANSLOG_REASON_DUPLICATE_PERSON;
	assert_int_equal(translog_leaf_encode(&l, out), 19);
	assert_bytes(out, 19,
	    "0001"
	    "0000018c1f2e3a4c"
	    "0000000000000029"
	    "02");
	assert_int_equal(translog_leaf_parse(out, 19, &back), 0);
	assert_int_equal(back.type, TRANSLOG_LEAF_REMOVAL);
	assert_true(back.timestamp == l.timestamp);
	assert_true(back.removed_index == 41);
	assert_int_equal(back.reason, TRANSLOG_REASON_DUPLICATE_PERSON);
	/* Every reason goes round; none beyond. */
	for (r = 0; r < TRANSLOG_REASON__MAX; r++) {
		l.reason = (enum translog_reason)r;
		l.removed_index = UINT64_MAX - (uint64_t)r;
		assert_int_equal(translog_leaf_encode(&l, out), 19);
		assert_int_equal(out[18], r);
		assert_int_equal(translog_leaf_parse(out, 19, &back), 0);
		assert_int_equal(back.reason, r);
		assert_true(back.removed_index == l.removed_index);
	}
	l.reason = TRANSLOG_REASON__MAX;
	assert_int_equal(translog_leaf_encode(&l, out), 0);
	l.reason = (enum translog_reason) - 1;
	assert_int_equal(translog_leaf_encode(&l, out), 0);
}

/* Every malformed leaf is refused: each other length, version, type,
 * reason, country. */
static void
test_malformed_leaves(void **state)
{
	unsigned char sig[64], rm[64], bad[64];
	struct translog_leaf l = { 0 }, back;
	size_t n;
	int b, c;

	(void)state;
	l.type = TRANSLOG_LEAF_SIGNATURE;
	memcpy(l.country, "DE", 2);
	assert_int_equal(translog_leaf_encode(&l, sig), 44);
	l.type = TRANSLOG_LEAF_REMOVAL;
	assert_int_equal(translog_leaf_encode(&l, rm), 19);
	memset(sig + 44, 0, sizeof(sig) - 44);
	memset(rm + 19, 0, sizeof(rm) - 19);
	for (n = 0; n <= sizeof(sig); n++) {
		if (n != 44)
			assert_int_equal(translog_leaf_parse(sig, n, &back), -1);
		if (n != 19)
			assert_int_equal(translog_leaf_parse(rm, n, &back), -1);
	}
	assert_int_equal(translog_leaf_parse(NULL, 0, &back), -1);
	/* Versions and types. */
	for (b = 1; b < 256; b++) {
		memcpy(bad, sig, 44);
		bad[0] = (unsigned char)b;
		assert_int_equal(translog_leaf_parse(bad, 44, &back), -1);
		memcpy(bad, rm, 19);
		bad[0] = (unsigned char)b;
		assert_int_equal(translog_leaf_parse(bad, 19, &back), -1);
	}
	for (b = 2; b < 256; b++) {
		memcpy(bad, sig, 44);
		bad[1] = (unsigned char)b;
		assert_int_equal(translog_leaf_parse(bad, 44, &back), -1);
	}
	/* A removal's length with a signature's type and the other way. */
	memcpy(bad, rm, 19);
	bad[1] = 0;
	assert_int_equal(translog_leaf_parse(bad, 19, &back), -1);
	memcpy(bad, sig, 44);
	bad[1] = 1;
	assert_int_equal(translog_leaf_parse(bad, 44, &back), -1);
	/* Reasons beyond the table. */
	for (b = TRANSLOG_REASON__MAX; b < 256; b++) {
		memcpy(bad, rm, 19);
		bad[18] = (unsigned char)b;
		assert_int_equal(translog_leaf_parse(bad, 19, &back), -1);
	}
	/* Countries: two capitals or "--", nothing else. */
	for (b = 0; b < 256; b++)
		for (c = 0; c < 256; c++) {
			bool ok =
			    (b >= 'A' && b <= 'Z' && c >= 'A' && c <= 'Z') ||
			    (b == '-' && c == '-');

			memcpy(bad, sig, 44);
			bad[42] = (unsigned char)b;
			bad[43] = (unsigned char)c;
			assert_int_equal(translog_leaf_parse(bad, 44, &back),
			    ok ? 0 : -1);
		}
	l.type = TRANSLOG_LEAF_SIGNATURE;
	memcpy(l.country, "ua", 2);
	assert_int_equal(translog_leaf_encode(&l, bad), 0);
	memcpy(l.country, "U-", 2);
	assert_int_equal(translog_leaf_encode(&l, bad), 0);
	l.type = TRANSLOG_LEAF__MAX;
	assert_int_equal(translog_leaf_encode(&l, bad), 0);
}

/* The TreeHeadSignature input, byte for byte, and its signature. */
static void
test_tree_head(void **state)
{
	struct translog_sth sth = { 0 }, other;
	unsigned char in[TRANSLOG_STH_INPUT_BYTES], sig[64], seed[32];
	struct translog_key key;
	size_t i, b;

	(void)state;
	sth.timestamp = 0x0000018c1f2e3a4bULL;
	sth.tree_size = 0x0102030405060708ULL;
	for (i = 0; i < 32; i++)
		sth.root[i] = (unsigned char)(0xa0 + i);
	translog_sth_encode(&sth, in);
	assert_int_equal(sizeof(in), 50);
	assert_bytes(in, 50,
	    "00"
	    "01"
	    "0000018c1f2e3a4b"
	    "0102030405060708"
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");

	/* The key of RFC 8032's first test: a seed is an Ed25519 secret. */
	unhex(seed, 32,
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	translog_key_from_seed(seed, &key);
	assert_bytes(key.pk, 32,
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	crypto_hash_sha256(seed, key.pk, 32);
	assert_memory_equal(key.id, seed, 32);

	translog_sth_sign(&key, &sth, sig);
	assert_true(crypto_sign_verify_detached(sig, in, 50, key.pk) == 0);
	assert_true(translog_sth_verify(key.pk, &sth, sig));
	/* Any change refutes it: a bit of the signature, of the head. */
	for (b = 0; b < 8 * 64; b++) {
		sig[b / 8] ^= (unsigned char)(1 << (b % 8));
		assert_false(translog_sth_verify(key.pk, &sth, sig));
		sig[b / 8] ^= (unsigned char)(1 << (b % 8));
	}
	other = sth;
	other.tree_size++;
	assert_false(translog_sth_verify(key.pk, &other, sig));
	other = sth;
	other.timestamp--;
	assert_false(translog_sth_verify(key.pk, &other, sig));
	other = sth;
	other.root[31] ^= 1;
	assert_false(translog_sth_verify(key.pk, &other, sig));
	/* Another key. */
	seed[0] ^= 1;
	translog_key_from_seed(seed, &key);
	assert_false(translog_sth_verify(key.pk, &sth, sig));
}

static void
key_path(char *path, size_t cap, const char *dir)
{
	assert_true((size_t)snprintf(path, cap, "%s/log.key", dir) < cap);
}

/* DATA/log.key: made on first start with mode 0600, the same key after;
 * refused when others may read it or its size is wrong. */
static void
test_key_file(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0666, 0610,
		0601, 0620, 0602 };
	struct translog_key k1, k2;
	char path[PATH_MAX], dir[PATH_MAX];
	unsigned char id[32], raw[40];
	struct stat st;
	size_t i;
	int fd;

	(void)state;
	key_path(path, sizeof(path), root);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(translog_key_load(root, &k1), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	translog_key_id(k1.pk, id);
	assert_memory_equal(id, k1.id, 32);
	crypto_hash_sha256(id, k1.pk, 32);
	assert_memory_equal(id, k1.id, 32);

	/* The file is the seed: the same key every start. */
	assert_int_equal(translog_key_load(root, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, raw, sizeof(raw)), 32);
	close(fd);
	translog_key_from_seed(raw, &k2);
	assert_memory_equal(&k1, &k2, sizeof(k1));

	/* Readable or writable by others: refused, and the file is kept. */
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		if (translog_key_load(root, &k2) != -1)
			fail_msg("log.key mode %04o accepted",
			    (unsigned)modes[i]);
	}
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(translog_key_load(root, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(translog_key_load(root, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof(k1));

	/* Wrong sizes. */
	assert_true(
	    (size_t)snprintf(dir, sizeof(dir), "%s/short", root) < sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	key_path(path, sizeof(path), dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, raw, 31), 31);
	close(fd);
	assert_int_equal(translog_key_load(dir, &k2), -1);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, raw, 33), 33);
	close(fd);
	assert_int_equal(translog_key_load(dir, &k2), -1);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(translog_key_load(dir, &k2), -1);
	/* A data folder that is not there. */
	assert_true((size_t)snprintf(dir, sizeof(dir), "%s/missing/deeper",
			root) < sizeof(dir));
	assert_int_equal(translog_key_load(dir, &k2), -1);
	/* Two data folders, two keys. */
	assert_true(
	    (size_t)snprintf(dir, sizeof(dir), "%s/other", root) < sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(translog_key_load(dir, &k2), 0);
	assert_memory_not_equal(k1.pk, k2.pk, 32);
}

/* The reason table: names as the store knows them, codes as published. */
static void
test_reasons(void **state)
{
	static const char *const names[] = { "fraud", "bot", "duplicate_person",
		"disposable", "other", "withdrawn" };
	int r;

	(void)state;
	assert_int_equal(TRANSLOG_REASON__MAX, 6);
	for (r = 0; r < TRANSLOG_REASON__MAX; r++) {
		assert_string_equal(translog_reason_name(r), names[r]);
		assert_int_equal(translog_reason_parse(names[r],
				     strlen(names[r])),
		    r);
		assert_int_equal(translog_reason_moderator(r),
		    r != TRANSLOG_REASON_WITHDRAWN);
	}
	assert_int_equal(TRANSLOG_REASON_FRAUD, 0);
	assert_int_equal(TRANSLOG_REASON_WITHDRAWN, 5);
	assert_null(translog_reason_name(TRANSLOG_REASON__MAX));
	assert_null(translog_reason_name((enum translog_reason) - 1));
	assert_false(translog_reason_moderator(TRANSLOG_REASON__MAX));
	assert_int_equal(translog_reason_parse("fraud", 4), -1);
	assert_int_equal(translog_reason_parse("frauds", 6), -1);
	assert_int_equal(translog_reason_parse("", 0), -1);
	assert_int_equal(translog_reason_parse("Fraud", 5), -1);
}

static int
dec(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	return translog_b64_decode(s, strlen(s), out, cap, len);
}

/* Standard base64 with padding, and nothing looser. */
static void
test_base64(void **state)
{
	static const char *const bad[] = { "A", "AA", "AAA",
		"AA=", "A===", "====", "AA==AA==", "AA=A", "=AAA", "AAAA ",
		" AAAA", "AA\nAA", "AAA-", "AAA_", "AA.A", "QUI=\n",
		"AB==", "AAB=", "QUJ=", "QQ==QQ==" };
	unsigned char out[64], in[40];
	char enc[TRANSLOG_B64_LEN(40) + 1], bad8[] = "QUJD";
	size_t len, n, i;

	(void)state;
	translog_b64_encode(enc, (const unsigned char *)"", 0);
	assert_string_equal(enc, "");
	translog_b64_encode(enc, (const unsigned char *)"f", 1);
	assert_string_equal(enc, "Zg==");
	translog_b64_encode(enc, (const unsigned char *)"fo", 2);
	assert_string_equal(enc, "Zm8=");
	translog_b64_encode(enc, (const unsigned char *)"foo", 3);
	assert_string_equal(enc, "Zm9v");
	memset(in, 0xfb, sizeof(in));
	translog_b64_encode(enc, in, 3);
	assert_string_equal(enc, "+/v7");
	/* Round trips of every length. */
	for (n = 0; n <= sizeof(in); n++) {
		randombytes_buf(in, n);
		translog_b64_encode(enc, in, n);
		assert_int_equal(strlen(enc), TRANSLOG_B64_LEN(n));
		assert_int_equal(dec(enc, out, sizeof(out), &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, in, n);
		/* Too little room is refused, exactly enough is not. */
		if (n > 0)
			assert_int_equal(dec(enc, out, n - 1, &len), -1);
		assert_int_equal(dec(enc, out, n, &len), 0);
	}
	assert_int_equal(dec("", out, 0, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(dec("Zm9vYg==", out, sizeof(out), &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "foob", 4);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dec(bad[i], out, sizeof(out), &len) != -1)
			fail_msg("\"%s\" decoded", bad[i]);
	/* Bytes outside ASCII, in every position. */
	for (i = 0; i < 4; i++) {
		int c;

		for (c = 128; c < 256; c++) {
			bad8[i] = (char)c;
			assert_int_equal(dec(bad8, out, sizeof(out), &len), -1);
		}
		bad8[i] = "QUJD"[i];
	}
	assert_int_equal(translog_b64_decode("AAAA\0AAA", 8, out, sizeof(out),
			     &len),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_leaf),
		cmocka_unit_test(test_removal_leaf),
		cmocka_unit_test(test_malformed_leaves),
		cmocka_unit_test(test_tree_head),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
