/* dkim.h - DKIM signatures (RFC 6376) on outgoing mail, made with
 * libopendkim: rsa-sha256, relaxed/relaxed, for the sender's domain. */
#ifndef HOLOS_DKIM_H
#define HOLOS_DKIM_H

#include <stddef.h>

#include "buf.h"

/* The largest key file read (a PEM RSA key of 8192 bits is about 6.4 KB). */
#define DKIM_KEY_MAX 16384

/* Signed when present, each also once more than present ("oversigned"),
 * so none can be added on the way without breaking the signature.
 * RFC 8058 asks for both List-Unsubscribe fields to be signed. */
#define DKIM_SIGNED_HEADERS                                                    \
	{                                                                      \
		"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", \
		    "Content-Type", "Content-Transfer-Encoding",               \
		    "List-Unsubscribe", "List-Unsubscribe-Post", NULL          \
	}

/* A key, selector and domain to sign with, shareable by every sending
 * thread. Not libopendkim's "struct dkim" (one message's handle). */
struct dkim_signer;

/* Loads the private key (PEM, RSA of at least 1024 bits, as RFC 8301
 * asks and libopendkim insists) from key_path
 * for --dkim-key / --dkim-selector, once at start-up. The file must not be
 * readable by the group or others (crypto_secret_file_read()). The
 * signing domain (d=) is the domain of sender, the site's From address,
 * in A-labels. The key is tried on a test message before it is accepted.
 * Returns the signer (free with dkim_signer_free()), or NULL with the
 * reason in err: no such file, wrong permissions, not a usable RSA key
 * (libopendkim's words: a key under 1024 bits …), a selector that is not
 * a sequence of DNS labels, a sender that is not an address. */
struct dkim_signer *dkim_signer_load(const char *key_path, const char *selector,
    const char *sender, char *err, size_t errlen);

/* Frees the signer and wipes its copy of the key. NULL is a no-op. */
void dkim_signer_free(struct dkim_signer *s);

/* Signs one message as it will be sent: RFC 5322 with CRLF line endings,
 * as mail_compose() writes it. Appends the whole "DKIM-Signature: …"
 * field, folded, ending in CRLF, to out; the caller sends it in front of
 * the message's own header fields. Safe to call from several threads at
 * once with one signer (each call has its own libopendkim handle).
 * Returns 0, or -1 with the reason logged and out as it was (a message
 * without a From field; out of memory, when out is also failed). */
int dkim_sign_message(struct dkim_signer *s, const char *msg, size_t len,
    struct buf *out);

/* The signing domain, in A-labels ("example.org"). Borrowed. */
const char *dkim_signer_domain(const struct dkim_signer *s);

#endif
